"""Linked records end to end, as the platform runs a data-activation connection: `discover` offers,
beside each link field's raw id, the linked record by its key (`Primary Contact (Email)`, `Company
(Name)`, the Pet's `Owner Contact (Email)`); records name their contact and company by those keys;
the connector looks them up in bulk, once per distinct value per sync, and writes the ids. Keys that
match nothing (or, for a company's name, several companies) reject their record with the reason,
counted in the STATE's rejectedRecordCount; `create_linked_contacts` creates a missing contact instead.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from integration_tests.harness import config_for, run_on_platform
from integration_tests.test_data_activation import configured, discover, done, ok, rec
from ontraport_sandbox.testing import SandboxHandle

DEAL, COMPANY, PET = 149, 150, 10000
CONTACTS = 20
COMPANIES = 5
DEALS = 200


def contact_email(n: int) -> str:
    return f"owner{n}@example.com"


def company_name(n: int) -> str:
    return f"Company {n}"


def seed_account(sandbox: SandboxHandle) -> tuple[dict[str, str], dict[str, str]]:
    """Contacts and companies to link to (and two companies that share a name); returns their ids by
    email and by name."""
    sandbox.seed([{"email": contact_email(n)} for n in range(CONTACTS)])
    sandbox.seed_objects(COMPANY, [{"name": company_name(n)} for n in range(COMPANIES)])
    sandbox.seed_objects(COMPANY, [{"name": "Twin Corp"}, {"name": "Twin Corp"}])
    contacts = {c["email"]: c["id"] for c in sandbox.contacts()}
    companies = {c["name"]: c["id"] for c in sandbox.objects(COMPANY) if c["name"] != "Twin Corp"}
    return contacts, companies


def link_requests(sandbox: SandboxHandle) -> int:
    """Lookups of contacts and companies the sync sent (by route and selector, as the sandbox counts)."""
    by_route = sandbox.stats()["by_route"]
    return int(by_route.get("GET /1/Contacts", 0)) + int(by_route.get("GET /1/objects", 0))


def test_deals_are_linked_to_their_contacts_and_companies_by_email_and_name(sandbox: SandboxHandle) -> None:
    contacts, companies = seed_account(sandbox)
    ops = discover(sandbox)
    deal_props = ops[("Deal", "append")]["json_schema"]["properties"]
    assert {"Primary Contact", "Company", "Primary Contact (Email)", "Company (Name)"} <= set(deal_props)
    assert "Primary Contact (Email)" not in ops[("Deal", "soft_delete")]["json_schema"]["properties"]
    stream = configured(
        "deals", ops[("Deal", "append")], None, ["Name", "Value", "Primary Contact (Email)", "Company (Name)"]
    )
    messages: list[dict[str, Any]] = []
    expected: dict[str, tuple[str, str]] = {}
    for n in range(DEALS):
        who, firm = contact_email(n % CONTACTS), company_name(n % COMPANIES)
        # keys as people type them: another case, spaces around
        shown = who.upper() if n % 7 == 0 else f" {who} "
        messages.append(
            rec(
                "deals",
                {"Name": f"Deal {n}", "Value": n, "Primary Contact (Email)": shown, "Company (Name)": firm},
            )
        )
        expected[f"Deal {n}"] = (contacts[who], companies[firm])
    unknown = [
        {"Name": "Lost 1", "Primary Contact (Email)": "nobody@example.com"},
        {"Name": "Lost 2", "Company (Name)": "No Such Company"},
        {"Name": "Lost 3", "Company (Name)": "Twin Corp"},
        {"Name": "Lost 4", "Primary Contact (Email)": "not an email"},
    ]
    messages += [rec("deals", data) for data in unknown]
    messages.append(done("deals"))
    before = link_requests(sandbox)

    run = ok(run_on_platform(config_for(sandbox.url), {"streams": [stream]}, messages))

    deals = {d["name"]: d for d in sandbox.objects(DEAL)}
    assert set(deals) == set(expected), "every deal once, the four with unknown links not at all"
    for name, (contact_id, company_id) in expected.items():
        assert (deals[name]["primary_contact"], deals[name]["company"]) == (contact_id, company_id), name
    assert [(c.forwarded, c.record_count, c.rejected_count) for c in run.checks] == [(DEALS + 4, DEALS, 4.0)]
    assert run.summary["rejected"] == 4
    reasons = "\n".join(run.logs)
    assert "Primary Contact (Email): no Contact with Email 'nobody@example.com'" in reasons
    assert "Company (Name): no Company with Name 'No Such Company'" in reasons
    assert "Company (Name): 2 Company records have Name 'Twin Corp'" in reasons
    assert "Primary Contact (Email): 'not an email' is not a valid email address" in reasons
    lookups = link_requests(sandbox) - before - 2  # less the read-path probe's sample and lookup
    assert lookups / (DEALS + 4) <= 0.03, f"{lookups} lookups for {DEALS + 4} records"


def test_a_custom_objects_link_to_a_contact_creates_the_contact_when_the_option_says_so(
    sandbox: SandboxHandle,
) -> None:
    sandbox.seed([{"email": contact_email(0)}])
    ops = discover(sandbox)
    stream = configured(
        "pets", ops[("Pet", "append")], ["Pet ID"], ["Pet ID", "Pet Name", "Owner Contact (Email)"]
    )
    rows = [
        {"Pet ID": "P-1", "Pet Name": "Rex", "Owner Contact (Email)": contact_email(0)},
        {"Pet ID": "P-2", "Pet Name": "Tom", "Owner Contact (Email)": "new.owner@example.com"},
        {"Pet ID": "P-3", "Pet Name": "Kit", "Owner Contact (Email)": "New.Owner@example.com"},
    ]
    messages = [*(rec("pets", row) for row in rows), done("pets")]
    catalog = {"streams": [stream]}

    refused = ok(run_on_platform(config_for(sandbox.url), catalog, messages))
    assert refused.summary["rejected"] == 2, "off by default: a link to an unknown contact is rejected"
    assert any("the create_linked_contacts option creates missing contacts" in line for line in refused.logs)
    sandbox.reset()
    sandbox.seed([{"email": contact_email(0)}])

    config = config_for(sandbox.url, create_linked_contacts=True)
    first = ok(run_on_platform(config, catalog, messages))
    assert first.summary["rejected"] == 0
    owners = {c["email"]: c["id"] for c in sandbox.contacts()}
    emails = Counter(c["email"] for c in sandbox.contacts())
    assert emails == Counter(owners.keys()), "the new owner created once"
    assert set(owners) == {contact_email(0), "new.owner@example.com"}
    pets = {p["f2001"]: p["f2009"] for p in sandbox.objects(PET)}
    assert pets == {
        "P-1": owners[contact_email(0)],
        "P-2": owners["new.owner@example.com"],
        "P-3": owners["new.owner@example.com"],
    }

    before = sandbox.stats()["write_requests"]
    second = ok(run_on_platform(config, catalog, messages))
    assert sandbox.stats()["write_requests"] == before, "an unchanged link writes nothing on a re-sync"
    assert second.summary["unchanged"] == 3


def test_a_record_that_gives_both_the_id_and_the_key_of_one_link_is_rejected(sandbox: SandboxHandle) -> None:
    sandbox.seed([{"email": contact_email(0)}])
    ops = discover(sandbox)
    stream = configured(
        "deals", ops[("Deal", "append")], None, ["Name", "Primary Contact", "Primary Contact (Email)"]
    )
    messages = [
        rec("deals", {"Name": "Both", "Primary Contact": 1, "Primary Contact (Email)": contact_email(0)}),
        rec("deals", {"Name": "Id only", "Primary Contact": 1, "Primary Contact (Email)": None}),
        done("deals"),
    ]
    run = ok(run_on_platform(config_for(sandbox.url), {"streams": [stream]}, messages))
    assert [d["name"] for d in sandbox.objects(DEAL)] == ["Id only"]
    assert any("gives both Primary Contact (Email) and Primary Contact (the id)" in line for line in run.logs)
