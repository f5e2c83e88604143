"""Unknown config keys: a near miss of an option is refused with the option it misspells, any other
unknown key is named in a warning, nested settings included (issue 22, item 13)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from destination_ontraport.config import OntraportConfig, unknown_option_warning
from destination_ontraport.config_keys import near_miss, unknown_keys
from destination_ontraport.failures import user_message

BASE: dict[str, Any] = {"app_id": "app", "api_key": "key"}
OPTIONS = list(OntraportConfig.model_fields)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("dryrun", "dry_run"),
        ("DRY_RUN", "dry_run"),
        ("dry-run", "dry_run"),
        ("dryRun", "dry_run"),
        ("max_removal", "max_removals"),
        ("tag", "tags"),
        ("missing_contact", "missing_contacts"),
        ("batchsize", "batch_size"),
        ("ignore_field", "ignore_fields"),
    ],
)
def test_a_near_miss_names_the_option_it_misspells(typed: str, meant: str) -> None:
    assert near_miss(typed, OPTIONS) == meant
    with pytest.raises(ValidationError) as raised:
        OntraportConfig.model_validate({**BASE, typed: True})
    assert f"unknown option '{typed}' (did you mean '{meant}'?)" in user_message(raised.value)


@pytest.mark.parametrize("key", ["comment", "notes", "source_name", "x", "_", "owner_email"])
def test_a_key_near_no_option_only_warns(key: str) -> None:
    assert near_miss(key, OPTIONS) is None
    OntraportConfig.model_validate({**BASE, key: "anything"})
    assert unknown_option_warning({**BASE, key: 1}) == (
        f"Unknown config option(s) {key} are ignored; check their spelling against the spec "
        "(docs/ontraport.md lists the options)."
    )


def test_known_options_give_no_warning() -> None:
    config = {**BASE, "dry_run": True, "field_mapping": [{"source": "a", "target": "b"}]}
    config["object_storage_config"] = {
        "storage_type": "S3",
        "s3_bucket_name": "b",
        "format": {"format_type": "CSV"},
    }
    assert unknown_keys(OntraportConfig, config) == []
    assert unknown_option_warning(config) is None


def test_nested_keys_are_read_as_the_variant_their_type_picks() -> None:
    s3 = {
        "storage_type": "S3",
        "s3_bucket_nme": "b",
        "format": {"format_type": "JSONL", "stringfy": "Stringify"},
    }
    found = {key.path: key.suggestion for key in unknown_keys(OntraportConfig, {"object_storage_config": s3})}
    assert found == {
        "object_storage_config.s3_bucket_nme": "s3_bucket_name",
        "object_storage_config.format.stringfy": "stringify",
    }
    # `None` storage has no bucket keys: a bucket name there is unknown, and near no key of it
    none = {"storage_type": "None", "s3_bucket_name": "b"}
    assert [
        (k.path, k.suggestion) for k in unknown_keys(OntraportConfig, {"object_storage_config": none})
    ] == [("object_storage_config.s3_bucket_name", None)]


def test_a_misspelled_field_mapping_key_is_named_by_its_entry() -> None:
    config = {**BASE, "field_mapping": [{"source": "a", "target": "b"}, {"source": "c", "targte": "d"}]}
    with pytest.raises(ValidationError) as raised:
        OntraportConfig.model_validate(config)
    assert "unknown option 'field_mapping[1].targte' (did you mean 'target'?)" in user_message(raised.value)


def test_the_message_quotes_no_value() -> None:
    with pytest.raises(ValidationError) as raised:
        OntraportConfig.model_validate({**BASE, "api_kye": "secret-value-123"})
    message = user_message(raised.value)
    assert "did you mean 'api_key'?" in message and "secret-value-123" not in message


def test_a_huge_unknown_key_is_cut_in_the_warning() -> None:
    warning = unknown_option_warning({**BASE, "k" * 100_000: 1}) or ""
    assert 0 < len(warning) < 300
