"""The setup form Airbyte draws from the spec: cards (`groups`), hidden knobs, titles, examples.

Airbyte's rules (connector specification reference): `group` only on top-level properties, each
card's `order` values distinct, cards ordered by the top-level `groups` list. `spec.json` at the
root is the generated copy (repo_tests/test_spec_json.py compares it with the model,
integration_tests/test_spec_check.py with what `spec` prints).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from airbyte_cdk.models import AirbyteMessageSerializer
from pydantic import ValidationError

from destination_ontraport.config import (
    DEFAULT_API_URL,
    GROUPS,
    OntraportConfig,
    connection_specification,
    unknown_option_warning,
)
from destination_ontraport.destination import DestinationOntraport
from destination_ontraport.spec import print_spec_message

HIDDEN = {
    "api_url",
    "batch_size",
    "debug_http_trace",
    "max_concurrent_requests",
    "request_timeout_seconds",
}


def properties() -> dict[str, dict[str, Any]]:
    props: dict[str, dict[str, Any]] = connection_specification()["properties"]
    return props


def every_schema(node: Any, depth: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each schema object in the spec with its depth (0: connectionSpecification itself)."""
    if isinstance(node, dict):
        yield depth, node
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for child in value.values():
                    yield from every_schema(child, depth + 1)
            elif key in {"items", "oneOf"}:
                for child in value if isinstance(value, list) else [value]:
                    yield from every_schema(child, depth + 1)


def test_the_tuning_and_test_knobs_are_hidden_and_in_no_card() -> None:
    hidden = {name for name, prop in properties().items() if prop.get("airbyte_hidden")}
    assert hidden == HIDDEN
    for name in HIDDEN:
        assert "group" not in properties()[name], name
        assert "default" in properties()[name], f"{name}: a hidden option needs a default"


def test_the_rate_limit_window_is_no_option_and_scales_only_a_local_sandbox() -> None:
    """Ontraport's window is a rolling minute; a raised limit comes in X-Rate-Limit-Limit. The window
    is no option of the spec; a config may still set it for a local sandbox (tests, benchmarks), and a
    config saved with the former default (60) keeps working, without a warning."""
    assert "rate_limit_window_seconds" not in properties()
    base = {"app_id": "a", "api_key": "k"}
    assert OntraportConfig.model_validate(base).rate_limit_window_seconds == 60
    saved = {**base, "rate_limit_window_seconds": 60}
    assert OntraportConfig.model_validate(saved).rate_limit_window_seconds == 60
    assert unknown_option_warning(saved) is None
    sandbox = {**base, "api_url": "http://127.0.0.1:8765/1", "rate_limit_window_seconds": 6}
    assert OntraportConfig.model_validate(sandbox).rate_limit_window_seconds == 6
    for url in (DEFAULT_API_URL, "https://localhost.example.com/1"):
        with pytest.raises(ValidationError, match="only for a local sandbox") as refused:
            OntraportConfig.model_validate({**base, "api_url": url, "rate_limit_window_seconds": 6})
        assert "always 60 seconds" in str(refused.value)


def test_every_visible_option_is_in_a_listed_card_and_every_card_has_options() -> None:
    spec = connection_specification()
    listed = [group["id"] for group in spec["groups"]]
    assert listed == [group for group, _ in GROUPS]
    assert all(group["title"] for group in spec["groups"])
    used = Counter(prop["group"] for name, prop in properties().items() if name not in HIDDEN)
    assert set(used) == set(listed), "a card without options, or an option in an unlisted card"
    assert set(spec["required"]) <= {name for name, prop in properties().items() if prop.get("group")}


def test_group_only_on_top_level_options_and_orders_distinct_within_a_card() -> None:
    for depth, schema in every_schema(connection_specification()):
        if depth != 1:
            assert "group" not in schema, schema.get("title")
    # below the top level, only the bucket's block hides options (as Airbyte's activation
    # destinations declare it: format, compression, path and file-name formats)
    hidden_below = {
        schema.get("title")
        for depth, schema in every_schema(connection_specification())
        if depth != 1 and schema.get("airbyte_hidden")
    }
    assert hidden_below == {"Output Format", "Compression", "Path Format", "File Name Format"}
    for group, _ in GROUPS:
        orders = [prop["order"] for prop in properties().values() if prop.get("group") == group]
        assert len(orders) == len(set(orders)), f"card {group}: duplicate order values {orders}"
    assert all(isinstance(prop.get("order"), int) for prop in properties().values())


def test_every_title_is_for_a_person() -> None:
    """No class name (`FieldMappingEntry`) or field name (`max_removals`) as a title."""
    for depth, schema in every_schema(connection_specification()):
        title = schema.get("title")
        if depth == 1 or (depth > 1 and schema.get("type") == "object"):
            assert title, f"an option or object without a title: {schema}"
        if title:
            assert not re.fullmatch(r"(?:[A-Z][a-z0-9]+){2,}", title), f"class name as a title: {title}"
            assert "_" not in title, f"field name as a title: {title}"


def test_free_text_options_carry_examples() -> None:
    for depth, schema in every_schema(connection_specification()):
        free_text = schema.get("type") == "string" and "enum" not in schema
        if depth >= 1 and free_text and not schema.get("airbyte_secret"):
            assert schema.get("examples"), f"{schema.get('title')}: no examples"
    assert properties()["ignore_fields"]["examples"] == [["internal_notes", "address.geo"]]


def test_the_spec_printed_without_the_cdk_is_the_cdks_spec_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`spec` alone is answered by spec.py without importing airbyte-cdk; the CDK's own path must
    print the same message."""
    print_spec_message()
    fast = json.loads(capsys.readouterr().out)
    destination = DestinationOntraport()
    (message,) = destination.run_cmd(destination.parse_args(["spec"]))
    assert fast == AirbyteMessageSerializer.dump(message)
