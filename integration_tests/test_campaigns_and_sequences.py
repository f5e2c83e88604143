"""Campaigns and sequences end to end (issue 19): contacts put on them by a sync, and never twice.

Every sync runs as the Airbyte platform runs it (`run_on_platform`), against the sandbox under every
value of the switches that play what no source settles (ontraport_sandbox/README.md, "Behaviour
switches"): whether lookups return a contact's campaigns and sequences (`collection_memberships`),
whether `sub_type` must be capitalised (`sub_type_case`), whether subscribing a member restarts it
(`resubscribe`, restarts counted) and whether Ontraport carries subscriptions out at once or later
(`subscription_processing`). Under each: new and existing contacts end on the right lists, a second
identical sync sends no subscribe request and restarts nothing, contacts that left a full refresh
are taken off (classic) and records take contacts off (data activation), and no DELETE carries a
body. Where lookups do not say what a contact is on, only created contacts are subscribed, and the
summary counts the existing ones left off.
"""

from __future__ import annotations

from typing import Any

import pytest

from integration_tests.harness import (
    PlatformRun,
    catalog_of,
    config_for,
    record,
    run_connector,
    run_on_platform,
    state,
    stream_entry,
)
from integration_tests.test_docs_figures import step_five
from ontraport_sandbox.testing import SandboxHandle

SWITCHES: dict[str, dict[str, str]] = {
    "default": {},
    "memberships-never": {"collection_memberships": "never"},
    "sub-type-exact": {"sub_type_case": "exact"},
    "resubscribe-restart": {"resubscribe": "restart"},
    "queued": {"subscription_processing": "queued"},
    "sequence-rows-with-id": {"sequence_rows_id": "present"},
    "all-unsettled-at-once": {
        "collection_memberships": "never",
        "sub_type_case": "exact",
        "resubscribe": "restart",
        "subscription_processing": "queued",
    },
}
SUBSCRIBE = "PUT /1/objects/subscribe"
UNSUBSCRIBE = "DELETE /1/objects/subscribe"


@pytest.fixture(params=list(SWITCHES), ids=list(SWITCHES))
def switched(request: pytest.FixtureRequest, sandbox: SandboxHandle) -> SandboxHandle:
    sandbox.configure(**SWITCHES[request.param])
    return sandbox


def readable(sandbox: SandboxHandle) -> bool:
    return bool(sandbox.config()["collection_memberships"] == "returned")


def queued(sandbox: SandboxHandle) -> bool:
    return bool(sandbox.config()["subscription_processing"] == "queued")


def ok(run: PlatformRun) -> PlatformRun:
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert run.unacknowledged == [], "every STATE the platform stamped came back"
    return run


def settle(sandbox: SandboxHandle, run: PlatformRun) -> None:
    """Ontraport carries subscriptions out later under `queued`: the sync says it had not yet (it read
    a subscribed contact back), then Ontraport catches up, as it does before the next sync."""
    if queued(sandbox) and run.summary["subscribed"]:
        assert run.summary["subscriptions_processed"] is False
        assert any("had not yet carried out this sync's subscriptions" in line for line in run.logs)
        sandbox.process_subscriptions()
    elif run.summary["subscribed"]:
        assert run.summary["subscriptions_processed"] is True


def on(sandbox: SandboxHandle) -> dict[str, tuple[set[str], set[str]]]:
    """Email (lower-cased) -> (campaign names, sequence names) for every contact."""
    emails = {int(c["id"]): c["email"].casefold() for c in sandbox.contacts()}
    lists = sandbox.memberships(emails)
    return {
        email: (set(lists[cid]["campaigns"]), set(lists[cid]["sequences"]))
        if cid in lists
        else (set(), set())
        for cid, email in emails.items()
    }


def route(sandbox: SandboxHandle, name: str) -> int:
    return int(sandbox.stats()["by_route"].get(name, 0))


def never_twice(sandbox: SandboxHandle) -> None:
    stats = sandbox.stats()
    assert stats["restarts"] == 0, stats["restarts_by_list"]
    assert stats["subscribe_all"] == 0 and stats["delete_with_body"] == 0


@pytest.fixture
def account(switched: SandboxHandle) -> SandboxHandle:
    """Campaigns (one deleted, which no name reaches), sequences, and contacts: one on nothing, one on
    Onboarding and Welcome already, one that will leave the source (tagged, on both)."""
    campaigns = switched.seed_campaigns(["Onboarding", "Webinar", {"name": "Onboarding", "deleted": "1"}])
    sequences = switched.seed_sequences(["Welcome", "Nurture"])
    ids = switched.seed(
        [
            {"email": "existing@example.com", "firstname": "E", "tags": ["Audience"]},
            {"email": "member@example.com", "firstname": "M", "tags": ["Audience"]},
            {"email": "left@example.com", "firstname": "L", "tags": ["Audience"]},
        ]
    )
    switched.seed_memberships(ids[1:], campaigns=[campaigns[0]], sequences=[sequences[0]])
    return switched


# --- classic streams: the config's campaigns and sequences, and the full-refresh mirror -----------
AUDIENCE = [
    record("audience", {"email": "new@example.com", "first_name": "N"}),
    record("audience", {"email": "existing@example.com", "first_name": "E"}),
    record("audience", {"email": "member@example.com", "first_name": "M"}),
    record("audience", {"email": "NEW@example.com", "first_name": "N"}),  # the same contact again
    state("audience", "done"),
]
BOTH = ({"Onboarding"}, {"Welcome"})
NONE: tuple[set[str], set[str]] = (set(), set())


def test_classic_sync_puts_contacts_on_the_configured_lists_once_and_mirrors_leavers(
    account: SandboxHandle,
) -> None:
    config = config_for(
        account.url,
        tags="Audience",
        campaigns=" onboarding ",  # trimmed, any case
        sequences="WELCOME",
        missing_contacts="remove_tags",
    )
    catalog = catalog_of(stream_entry("audience", "overwrite"))
    first = ok(run_on_platform(config, catalog, AUDIENCE))
    settle(account, first)
    lists = on(account)
    assert lists["new@example.com"] == BOTH
    assert lists["member@example.com"] == BOTH
    # the contact that left the full refresh: untagged and taken off the configured lists
    assert lists["left@example.com"] == NONE
    assert "Audience" not in next(c for c in account.contacts() if c["email"] == "left@example.com")["tags"]
    assert first.summary["unsubscribed"] == 2 and first.summary["untagged"] == 1
    if readable(account):
        assert lists["existing@example.com"] == BOTH
        assert first.summary["subscribed"] == 4 and first.summary["subscriptions_left_off"] == 0
    else:  # only the contact this sync created; the two existing ones are counted and the log says why
        assert lists["existing@example.com"] == NONE
        assert first.summary["subscribed"] == 2 and first.summary["subscriptions_left_off"] == 2
        assert any("2 existing contact(s) were left off" in line for line in first.logs), first.logs
    never_twice(account)
    subscribes = route(account, SUBSCRIBE)
    assert subscribes == 2  # one request per set of lists (a campaign, a sequence): not one per contact

    second = ok(run_on_platform(config, catalog, AUDIENCE))
    assert route(account, SUBSCRIBE) == subscribes, "a second identical sync sends no subscribe request"
    assert second.summary["subscribed"] == 0 and second.summary["unchanged"] == 3
    if queued(account):
        account.process_subscriptions()
    assert on(account) == lists
    never_twice(account)


# --- data activation: a Contact record's own campaigns and sequences -------------------------------
LIST_PROPERTIES = ["Add to Campaigns", "Remove from Campaigns", "Add to Sequences", "Remove from Sequences"]


def activation_catalog() -> dict[str, Any]:
    properties = ["Email", "First Name", *LIST_PROPERTIES]
    return {
        "streams": [
            {
                "stream": {
                    "name": "crm_people",
                    "json_schema": {"type": "object", "properties": {p: {} for p in properties}},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                },
                "sync_mode": "incremental",
                "destination_sync_mode": "append",
                "destination_object_name": "Contact",
                "primary_key": [["Email"]],
            }
        ]
    }


def person(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "RECORD",
        "record": {"stream": "crm_people", "data": data, "emitted_at": 1_700_000_000_000},
    }


PEOPLE = [
    person(
        {
            "Email": "new@example.com",
            "Add to Campaigns": "ONBOARDING, webinar",
            "Add to Sequences": ["Welcome"],
        }
    ),
    person(
        {
            "Email": "member@example.com",
            "Remove from Campaigns": ["Onboarding"],
            "Add to Campaigns": "Webinar",
        }
    ),
    person({"Email": "existing@example.com", "First Name": "E", "Add to Sequences": " nurture "}),
    person({"Email": "typo@example.com", "Add to Campaigns": "Onbording"}),
    {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "crm_people"}}}},
]


def test_activation_records_put_contacts_on_and_take_them_off_their_lists_once(
    account: SandboxHandle,
) -> None:
    catalog = activation_catalog()
    config = config_for(account.url)
    first = ok(run_on_platform(config, catalog, PEOPLE))
    settle(account, first)
    lists = on(account)
    assert lists["new@example.com"] == ({"Onboarding", "Webinar"}, {"Welcome"})
    # taking off needs no read: a contact's own removal goes whatever the lookups return
    removed = {"Webinar"} if readable(account) else set()
    assert lists["member@example.com"] == (removed, {"Welcome"})
    assert lists["existing@example.com"] == (set(), {"Nurture"} if readable(account) else set())
    # the unknown name rejects its record, naming the nearest campaign; nothing of it is written
    assert "typo@example.com" not in lists
    assert first.summary["rejected"] == 1
    assert any("'Onbording'; the nearest it has: 'Onboarding'" in line for line in first.logs), first.logs
    assert [(c.record_count, c.rejected_count) for c in first.checks] == [(3.0, 1.0)]
    assert first.summary["unsubscribed"] == 1
    left_off = 0 if readable(account) else 2
    assert first.summary["subscriptions_left_off"] == left_off
    assert first.summary["subscribed"] == 3 + (2 - left_off)
    never_twice(account)

    subscribes = route(account, SUBSCRIBE)
    second = ok(run_on_platform(config, catalog, PEOPLE))
    assert route(account, SUBSCRIBE) == subscribes, "a second identical sync sends no subscribe request"
    assert second.summary["subscribed"] == 0
    if queued(account):
        account.process_subscriptions()
    assert on(account) == lists
    never_twice(account)


# --- check, unknown names at write, dry run ---------------------------------------------------------
def test_check_fails_naming_an_unknown_list_and_the_nearest_names(sandbox: SandboxHandle) -> None:
    sandbox.seed_campaigns(["Onboarding", "Webinar"])
    sandbox.seed_sequences(["Welcome"])
    good = run_connector("check", config_for(sandbox.url, campaigns="onboarding", sequences="Welcome"))
    assert good.connection_status()["status"] == "SUCCEEDED", good.stdout
    run = run_connector("check", config_for(sandbox.url, campaigns="Onbording, Webinar", sequences="Welcom"))
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert (
        "campaigns: Ontraport has no campaign named 'Onbording'; the nearest it has: 'Onboarding'"
        in status["message"]
    )
    assert (
        "sequences: Ontraport has no sequence named 'Welcom'; the nearest it has: 'Welcome'"
        in status["message"]
    )
    assert sandbox.stats()["write_requests"] == 0


def test_check_names_both_ids_of_an_ambiguous_campaign(sandbox: SandboxHandle) -> None:
    ids = sandbox.seed_campaigns(["Launch", "launch "])
    status = run_connector("check", config_for(sandbox.url, campaigns="LAUNCH")).connection_status()
    assert status["status"] == "FAILED"
    assert (
        f"more than one campaign named 'LAUNCH' (ids {ids[0]} ('Launch') and {ids[1]} ('launch'))"
        in status["message"]
    )


def test_a_write_with_an_unknown_campaign_fails_before_writing_anything(sandbox: SandboxHandle) -> None:
    sandbox.seed_campaigns(["Onboarding"])
    config = config_for(sandbox.url, campaigns="Onboarding, Nope")
    run = run_on_platform(config, catalog_of(stream_entry("audience")), AUDIENCE, source_succeeded=False)
    assert run.returncode == 1
    assert any("Ontraport has no campaign named 'Nope'" in error for error in run.errors), run.errors
    assert sandbox.contacts() == [] and sandbox.stats()["write_requests"] == 0


def test_a_dry_run_counts_the_subscriptions_it_would_make_and_sends_none(account: SandboxHandle) -> None:
    config = config_for(
        account.url, tags="Audience", campaigns="Onboarding", sequences="Welcome", dry_run=True
    )
    run = run_on_platform(config, catalog_of(stream_entry("audience")), AUDIENCE)
    assert run.returncode == 0
    summary = run.summary
    # the new contact (it would be created) on both; the existing one on both where readable
    assert summary["subscribed"] == (4 if readable(account) else 2)
    assert summary["subscriptions_processed"] is None
    stats = account.stats()
    assert stats["write_requests"] == 0 and stats["subscriptions"] == 0 and stats["queued_subscriptions"] == 0


def test_one_contact_in_a_classic_and_an_activation_stream_is_subscribed_once_though_ontraport_lags(
    sandbox: SandboxHandle,
) -> None:
    """Ontraport carries subscriptions out later (`queued`): the activation stream's lookup of a
    contact the classic stream subscribed a batch earlier does not show it yet. The sync's memory of
    what it sent wins: no second subscribe, no restart once Ontraport processes them."""
    sandbox.configure(subscription_processing="queued", resubscribe="restart")
    sandbox.seed_campaigns(["Onboarding"])
    catalog = activation_catalog()
    catalog["streams"].append(stream_entry("audience"))
    config = config_for(sandbox.url, campaigns="Onboarding", batch_size=1)
    messages = [
        record("audience", {"email": "ann@example.com", "first_name": "A"}),
        state("audience", 1),
        record("audience", {"email": "ann@example.com", "first_name": "B"}),  # a later batch
        person({"Email": "ann@example.com", "Add to Campaigns": "Onboarding"}),  # another writer
        PEOPLE[-1],
    ]
    run = ok(run_on_platform(config, catalog, messages))
    assert route(sandbox, SUBSCRIBE) == 1 and run.summary["subscribed"] == 1
    sandbox.process_subscriptions()
    assert on(sandbox)["ann@example.com"] == ({"Onboarding"}, set())
    never_twice(sandbox)


def test_discover_offers_the_four_properties_on_contacts_only(sandbox: SandboxHandle) -> None:
    sandbox.configure(builtin_types_in_meta="listed")  # campaigns and sequences are no object to write
    run = run_connector("discover", config_for(sandbox.url))
    (catalog,) = [m["destination_catalog"] for m in run.messages if m.get("type") == "DESTINATION_CATALOG"]
    modes: dict[str, dict[str, set[str]]] = {}
    for op in catalog["operations"]:
        modes.setdefault(op["object_name"], {})[op["sync_mode"]] = set(op["json_schema"]["properties"])
    assert set(modes) == {"Contact", "Deal", "Company", "Pet", "Transaction"}  # Transaction: purchases
    for mode in ("append", "append_dedup", "update"):
        assert set(LIST_PROPERTIES) <= modes["Contact"][mode]
    assert not set(LIST_PROPERTIES) & modes["Contact"]["soft_delete"]
    others = ("Deal", "Pet", "Transaction")
    assert all(not set(LIST_PROPERTIES) & props for name in others for props in modes[name].values())


def test_the_connection_test_costs_one_request_more_per_kind_named_as_the_docs_say(
    sandbox: SandboxHandle,
) -> None:
    sandbox.seed([{"email": "ann@example.com"}])
    sandbox.seed_campaigns(["Onboarding"])
    sandbox.seed_sequences(["Welcome"])
    assert run_connector("check", config_for(sandbox.url)).connection_status()["status"] == "SUCCEEDED"
    plain = sandbox.stats()["total_requests"]
    sandbox.reset()
    sandbox.seed([{"email": "ann@example.com"}])
    sandbox.seed_campaigns(["Onboarding"])
    sandbox.seed_sequences(["Welcome"])
    config = config_for(sandbox.url, campaigns="Onboarding", sequences="Welcome")
    assert run_connector("check", config).connection_status()["status"] == "SUCCEEDED"
    assert sandbox.stats()["total_requests"] == plain + 2
    assert "plus one request each for `campaigns` and `sequences` when they are set" in step_five()
