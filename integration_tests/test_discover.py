"""`discover` as a subprocess against the sandbox (Contacts, Deal, Company, Pet by default)."""

from __future__ import annotations

from typing import Any

from airbyte_protocol_dataclasses.models import AirbyteMessage as ProtocolMessage
from serpyco_rs import Serializer

from integration_tests.harness import (
    API_KEY,
    Run,
    catalog_of,
    config_for,
    record,
    run_connector,
    stream_entry,
)
from ontraport_sandbox.testing import SandboxHandle

MODES = ["append", "append_dedup", "update", "soft_delete"]


def catalog_message(run: Run) -> dict[str, Any]:
    """The one DESTINATION_CATALOG message; everything else on stdout is a LOG line."""
    found = [m for m in run.messages if m.get("type") == "DESTINATION_CATALOG"]
    assert len(found) == 1, run.stdout[-3000:] + run.stderr[-2000:]
    others = {m.get("type") for m in run.messages if m.get("type") != "DESTINATION_CATALOG"}
    assert others <= {"LOG"}, run.stdout[-3000:]
    assert run.messages[-1] is found[0], "the catalog is the last line"
    return found[0]


def by_object(message: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for op in message["destination_catalog"]["operations"]:
        out.setdefault(op["object_name"], {})[op["sync_mode"]] = op
    return out


def test_discover_lists_the_sandbox_objects_and_modes(sandbox: SandboxHandle) -> None:
    run = run_connector("discover", config_for(sandbox.url))
    assert run.returncode == 0, run.stderr[-2000:]
    message = catalog_message(run)
    parsed = Serializer(ProtocolMessage, omit_none=True).load(message)  # validates as it parses
    assert parsed.destination_catalog is not None
    objects = by_object(message)
    assert list(objects) == ["Contact", "Transaction", "Deal", "Company", "Pet"]
    assert list(objects["Transaction"]) == ["append"], "purchases: logged once, never changed"

    pet = objects["Pet"]
    assert list(pet) == MODES
    assert pet["append"]["matching_keys"] == [["Pet ID"]]
    assert pet["append_dedup"]["matching_keys"] == [["Pet ID"]]
    assert pet["update"]["matching_keys"] == [["Pet ID"], ["id"]]
    assert pet["soft_delete"]["matching_keys"] == [["Pet ID"], ["id"]]
    properties = pet["append_dedup"]["json_schema"]["properties"]
    assert list(properties) == [
        "Pet ID", "Pet Name", "Species", "Birth Date", "Weight", "Vet Email", "Vaccinated", "Traits",
        "Owner Contact", "Owner Contact (Email)", "Add Tags", "Remove Tags",
    ]  # fmt: skip
    assert properties["Birth Date"]["format"] == "date"
    assert properties["Weight"]["type"] == ["null", "number"]
    assert "options: Dog (1), Cat (2), Other (3)" in properties["Species"]["description"]
    assert set(pet["soft_delete"]["json_schema"]["properties"]) == {"Pet ID", "id"}

    assert list(objects["Deal"]) == ["append", "update", "soft_delete"]
    assert objects["Deal"]["update"]["matching_keys"] == [["id"]]
    assert any(
        line.startswith("Deal (object 149) has no append_dedup operation") and "unique" in line
        for line in run.logs
    ), run.logs
    assert objects["Contact"]["append_dedup"]["matching_keys"] == [["Email"]]

    stats = sandbox.stats()
    assert stats["write_requests"] == 0
    assert stats["by_route"].get("GET /1/objects/meta") == 1


def test_what_discover_offers_is_what_write_takes(sandbox: SandboxHandle) -> None:
    """A Pet upsert with every property the catalog lists, keyed as the catalog says."""
    objects = by_object(catalog_message(run_connector("discover", config_for(sandbox.url))))
    upsert = objects["Pet"]["append_dedup"]
    (key,) = upsert["matching_keys"]
    data = {
        "Pet ID": "P-7", "Pet Name": "Rex", "Species": "Dog", "Birth Date": "2020-01-02", "Weight": 12.5,
        "Vet Email": "vet@example.com", "Vaccinated": True, "Traits": ["Friendly", "Playful"],
        "Owner Contact": 3, "Add Tags": ["Good"],
    }  # fmt: skip
    assert set(data) <= set(upsert["json_schema"]["properties"])
    entry = stream_entry("pets", "append_dedup", primary_key=[key])
    entry["destination_object_name"] = "Pet"
    run = run_connector("write", config_for(sandbox.url), catalog_of(entry), [record("pets", data)])
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert run.summary["rejected"] == 0, run.logs
    (pet,) = sandbox.objects(10000)
    assert pet["f2001"] == "P-7"
    assert (pet["f2002"], pet["f2003"], pet["f2005"], pet["f2007"]) == ("Rex", "1", "12.5", "1")
    assert pet["f2008"] == "*/*1*/*3*/*"
    assert pet["f2009"] == "3"
    assert pet["tags"] == ["Good"]


def _failed(run: Run) -> tuple[str, str]:
    """(the TRACE error's message, the CONNECTION_STATUS message) of a failed discover."""
    assert run.returncode == 0, run.stderr[-2000:]
    assert [m["type"] for m in run.messages if m["type"] != "LOG"] == ["TRACE", "CONNECTION_STATUS"]
    status = run.connection_status()
    assert status["status"] == "FAILED"
    (error,) = run.errors
    return error, status["message"]


def test_rejected_credentials_fail_discover_as_they_fail_check(sandbox: SandboxHandle) -> None:
    config = config_for(sandbox.url, api_key="wrong-key-Hq4mT9")
    run = run_connector("discover", config)
    error, message = _failed(run)
    assert message == error == run_connector("check", config).connection_status()["message"]
    assert message.startswith("Ontraport rejected the App ID / API Key")
    assert "wrong-key-Hq4mT9" not in run.stdout + run.stderr
    assert sandbox.stats()["write_requests"] == 0


def test_an_unreachable_api_url_fails_discover_as_it_fails_check() -> None:
    config = config_for("http://127.0.0.1:9/1")
    run = run_connector("discover", config)
    error, message = _failed(run)
    assert message == error == run_connector("check", config).connection_status()["message"]
    assert message.startswith("Could not reach Ontraport at http://127.0.0.1:9/1")
    assert API_KEY not in run.stdout + run.stderr


def test_an_invalid_config_fails_discover_as_it_fails_check() -> None:
    config = {"api_key": API_KEY, "api_url": "http://127.0.0.1:9/1"}  # no app_id
    run = run_connector("discover", config)
    error, message = _failed(run)
    assert message == error == run_connector("check", config).connection_status()["message"]
    assert message == "Invalid configuration: app_id: Field required"
    assert API_KEY not in run.stdout + run.stderr


def test_every_schema_is_closed_and_fields_marked_required_are_required_where_records_are_created(
    sandbox: SandboxHandle,
) -> None:
    """The UI offers only the listed properties (`additionalProperties: false`) and pre-fills a
    mapping row for each required one; the meta's `required` flag is what marks them."""
    deal_name = {"alias": "Name", "type": "text", "required": "1"}
    sandbox.declare({"objects": {"149": {"fields": {"name": deal_name}}}})
    try:
        objects = by_object(catalog_message(run_connector("discover", config_for(sandbox.url))))
    finally:
        sandbox.declare({"objects": {"149": {"fields": {"name": {**deal_name, "required": "0"}}}}})
    for name, operations in objects.items():
        for mode, op in operations.items():
            assert op["json_schema"]["additionalProperties"] is False, (name, mode)
    assert objects["Deal"]["append"]["json_schema"]["required"] == ["Name"]
    assert "required" not in objects["Deal"]["update"]["json_schema"]
    assert "required" not in objects["Deal"]["soft_delete"]["json_schema"]
    assert all("required" not in op["json_schema"] for op in objects["Pet"].values())
