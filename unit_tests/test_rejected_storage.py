"""The rejected-records bucket's pure parts: key layout, row encoding, the spec block and its
validation, which STATE counts a rejection, and the per-stream parts (against an in-memory store)."""

from __future__ import annotations

import csv
import gzip
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from destination_ontraport.config import OntraportConfig, connection_specification
from destination_ontraport.failures import describe_validation_error
from destination_ontraport.protocol.messages import RecordItem, StateItem, parse_line
from destination_ontraport.protocol.state import echoed_state
from destination_ontraport.rejected.bucket import BucketTarget, RejectedObjects
from destination_ontraport.rejected.ledger import RejectLedger
from destination_ontraport.rejected.paths import (
    DEFAULT_FILE_NAME_FORMAT,
    DEFAULT_PATH_FORMAT,
    object_key,
    render_directory,
    render_file_name,
    resolve_sync_id,
)
from destination_ontraport.rejected.rows import COLUMNS, INVALID_LINES_STREAM, RejectedRow, encode, extension
from destination_ontraport.rejected.s3_store import ObjectStorageError
from destination_ontraport.rejected.settings import (
    CsvFormat,
    GzipCompression,
    JsonlFormat,
    NoCompression,
    NoObjectStorage,
    S3ObjectStorage,
)

AT = datetime(2026, 12, 2, 6, 9, 25, 877_000, tzinfo=UTC)
SECRET = "storage-Secret-9kQ2xW"


# --- key layout ----------------------------------------------------------------------------------


def test_the_default_layout_is_prefix_sync_id_stream_and_a_numbered_part() -> None:
    directory = render_directory(
        DEFAULT_PATH_FORMAT, sync_id="4242", namespace=None, stream_name="people", at=AT
    )
    name = render_file_name(DEFAULT_FILE_NAME_FORMAT, sync_id="4242", part_number=3, extension="jsonl", at=AT)
    assert directory == "4242/people/"  # no namespace: no empty folder
    assert object_key("team/rejects", directory, name) == (
        "team/rejects/4242/people/2026-12-02_2026-12-02T06:09:25.877Z_3.jsonl"
    )
    assert object_key("", directory, name) == "4242/people/2026-12-02_2026-12-02T06:09:25.877Z_3.jsonl"


def test_a_namespace_is_a_folder_and_times_are_utc() -> None:
    local = AT.astimezone(timezone(timedelta(hours=-5)))  # the same instant, written in another zone
    directory = render_directory(
        DEFAULT_PATH_FORMAT, sync_id="7", namespace="crm", stream_name="people", at=local
    )
    assert directory == "7/crm/people/"
    name = render_file_name("{sync_id}-{date}-{timestamp}-{part_number}{format_extension}", sync_id="7",
                            part_number=12, extension="csv.gz", at=local)  # fmt: skip
    assert name == "7-2026-12-02-2026-12-02T06:09:25.877Z-12.csv.gz"


def test_every_path_variable_renders_in_either_spelling() -> None:
    path = "{year}/{month}/{day}/{hour}{minute}{second}.{millisecond}/{epoch}/${STREAM_NAME}/${NAMESPACE}"
    assert render_directory(path, sync_id="1", namespace=None, stream_name="s", at=AT) == (
        f"2026/12/02/060925.877/{int(AT.timestamp() * 1000)}/s/"
    )
    assert render_directory("", sync_id="1", namespace=None, stream_name="s", at=AT) == ""
    uuid_dir = render_directory("{uuid}/", sync_id="1", namespace=None, stream_name="s", at=AT)
    assert len(uuid_dir.strip("/")) == 36


def test_formats_with_an_unknown_variable_or_no_part_number_are_refused() -> None:
    base = {"storage_type": "S3", "s3_bucket_name": "b"}
    with pytest.raises(ValidationError, match=r"unknown variable \{stream\}; the known ones are"):
        S3ObjectStorage.model_validate({**base, "path_format": "{sync_id}/{stream}/"})
    with pytest.raises(ValidationError, match=r"must contain \{part_number\}"):
        S3ObjectStorage.model_validate({**base, "file_name_format": "{date}{format_extension}"})
    with pytest.raises(ValidationError, match=r"unknown variable \{date:yyyy_mm\}|unknown variable"):
        S3ObjectStorage.model_validate({**base, "file_name_format": "{part_number}_{uuid}"})


def test_the_sync_id_is_the_catalogs_then_the_platforms_job_id_then_the_start_time() -> None:
    assert resolve_sync_id([None, 4242], {"WORKER_JOB_ID": "99"}, AT) == (
        "4242",
        "the configured catalog's sync_id",
    )
    assert resolve_sync_id([None], {"WORKER_JOB_ID": " 99 "}, AT)[0] == "99"
    sync_id, source = resolve_sync_id([], {}, AT)
    assert sync_id == "local-20261202T060925Z" and "start time" in source


# --- rows ------------------------------------------------------------------------------------------

ROWS = [
    RejectedRow("email: 'x' is not a valid email address", "people", None, 2, None,
                {"email": "x", "n": 123456789012345678901234567890, "city": "Zürich", "tags": ["a", "b"]}),
    RejectedRow("line is not valid JSON: {oops", INVALID_LINES_STREAM, None, 9, None, None),
    RejectedRow("Ontraport refused the contact", "people", "crm", 12, "a@b.c",
                {"error": "a field called error"}),
]  # fmt: skip


def test_jsonl_rows_hold_the_reason_beside_the_untouched_record() -> None:
    text = encode(ROWS, JsonlFormat(), NoCompression()).decode("utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    assert [list(line) for line in lines] == [list(COLUMNS)] * 3
    assert lines[0]["record"] == ROWS[0].record  # big ints, unicode and lists survive
    assert "Zürich" in text  # readable, not \\u-escaped
    assert lines[1] == {"error": "line is not valid JSON: {oops", "stream": INVALID_LINES_STREAM,
                        "namespace": None, "position": 9, "key": None, "record": None}  # fmt: skip
    assert (
        lines[2]["error"] == "Ontraport refused the contact"
        and lines[2]["record"]["error"] == "a field called error"
    )


def test_jsonl_stringify_stores_the_record_as_a_json_string() -> None:
    text = encode(ROWS[:1], JsonlFormat(stringify="Stringify"), NoCompression()).decode("utf-8")
    record = json.loads(text)["record"]
    assert isinstance(record, str) and json.loads(record) == ROWS[0].record


def test_csv_rows_have_a_header_and_the_record_as_json() -> None:
    text = encode(ROWS, CsvFormat(), NoCompression()).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(COLUMNS)
    assert json.loads(rows[0]["record"]) == ROWS[0].record
    assert rows[0]["namespace"] == "" and rows[0]["position"] == "2"
    assert rows[1]["record"] == "" and rows[2]["key"] == "a@b.c" and rows[2]["namespace"] == "crm"


def test_gzip_wraps_the_same_bytes_and_names_the_extension() -> None:
    plain = encode(ROWS, CsvFormat(), NoCompression())
    assert gzip.decompress(encode(ROWS, CsvFormat(), GzipCompression())) == plain
    assert extension(CsvFormat(), GzipCompression()) == "csv.gz"
    assert extension(JsonlFormat(), NoCompression()) == "jsonl"


def test_secrets_are_masked_in_rows_as_in_the_log() -> None:
    row = RejectedRow(
        f"email: {SECRET!r} is not a valid email address", "people", None, 1, None, {"email": SECRET}
    )
    for output in (JsonlFormat(), CsvFormat()):
        text = encode([row], output, NoCompression(), mask=lambda t: t.replace(SECRET, "****")).decode(
            "utf-8"
        )
        assert SECRET not in text and "****" in text


# --- the spec block and its validation ----------------------------------------------------------


def test_the_spec_declares_object_storage_config_as_the_activation_destinations_do() -> None:
    block = connection_specification()["properties"]["object_storage_config"]
    assert block["title"] == "Object Storage Configuration" and block["type"] == "object"
    assert "discriminator" not in json.dumps(block) and "$ref" not in json.dumps(block)
    none, s3 = block["oneOf"]
    assert none == {
        "type": "object",
        "additionalProperties": True,
        "properties": {"storage_type": {"type": "string", "enum": ["None"], "default": "None"}},
        "title": "None",
        "required": ["storage_type"],
    }
    props = s3["properties"]
    assert s3["title"] == "S3" and s3["additionalProperties"] is True
    assert s3["required"] == ["storage_type", "s3_bucket_name", "s3_bucket_region", "bucket_path", "format"]
    assert list(props) == [
        "storage_type", "access_key_id", "secret_access_key", "role_arn", "s3_bucket_name",
        "s3_bucket_region", "s3_endpoint", "bucket_path", "format", "compression", "path_format",
        "file_name_format",
    ]  # fmt: skip
    assert props["storage_type"] == {"type": "string", "enum": ["S3"], "default": "S3"}
    for secret in ("access_key_id", "secret_access_key"):
        assert props[secret]["airbyte_secret"] is True and props[secret]["type"] == "string"
        assert "format" not in props[secret] and "writeOnly" not in props[secret]
    assert (
        props["s3_bucket_region"]["enum"][:2] == ["", "af-south-1"]
        and props["s3_bucket_region"]["default"] == ""
    )
    assert "us-west-2" in props["s3_bucket_region"]["enum"]
    assert props["bucket_path"]["title"] == "Prefix Path in the Bucket"
    for hidden in ("format", "compression", "path_format", "file_name_format"):
        assert props[hidden]["airbyte_hidden"] is True, hidden
    assert props["path_format"]["default"] == "{sync_id}/{namespace}/{stream_name}/"
    assert props["file_name_format"]["default"] == "{date}_{timestamp}_{part_number}{format_extension}"
    assert [f["properties"]["format_type"]["enum"] for f in props["format"]["oneOf"]] == [["CSV"], ["JSONL"]]
    assert props["format"]["default"] == {"format_type": "JSONL"}
    assert [c["title"] for c in props["compression"]["oneOf"]] == ["No Compression", "GZIP"]


def test_a_minimal_s3_block_gets_the_hidden_defaults_and_none_is_the_default() -> None:
    config = OntraportConfig.model_validate({"app_id": "a", "api_key": "k"})
    assert isinstance(config.object_storage_config, NoObjectStorage)
    storage = {"storage_type": "S3", "s3_bucket_name": " b ", "bucket_path": "/team/rejects/", "role_arn": ""}
    config = OntraportConfig.model_validate({"app_id": "a", "api_key": "k", "object_storage_config": storage})
    s3 = config.object_storage_config
    assert isinstance(s3, S3ObjectStorage)
    assert (s3.s3_bucket_name, s3.bucket_path, s3.s3_bucket_region, s3.role_arn) == (
        "b",
        "team/rejects",
        "",
        None,
    )
    assert isinstance(s3.format, JsonlFormat) and isinstance(s3.compression, NoCompression)
    assert (s3.path_format, s3.file_name_format) == (DEFAULT_PATH_FORMAT, DEFAULT_FILE_NAME_FORMAT)
    assert s3.location == "s3://b/team/rejects/"


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"role_arn": "role/x"}, "must be a role's ARN"),
        (
            {"format": {"format_type": "CSV", "flattening": "Root level flattening"}},
            "flattening is not supported",
        ),
        ({"access_key_id": SECRET}, "give both the access key ID and the secret access key, or neither"),
        ({"secret_access_key": SECRET + "\n x"}, "contains a space, line break"),
        ({"s3_endpoint": "minio:9000"}, "must be an http(s) URL"),
        ({"s3_bucket_name": "s3://b/path"}, "must be the bucket's name alone"),
        ({"s3_bucket_region": "mars-1"}, "s3_bucket_region"),
    ],
)
def test_settings_the_connector_cannot_honour_are_refused_without_quoting_values(
    block: dict[str, Any], message: str
) -> None:
    raw = {
        "app_id": "a",
        "api_key": "k",
        "object_storage_config": {"storage_type": "S3", "s3_bucket_name": "b", **block},
    }
    with pytest.raises(ValidationError) as caught:
        OntraportConfig.model_validate(raw)
    text = describe_validation_error(caught.value)
    assert message in text and "object_storage_config" in text
    assert SECRET not in text and SECRET not in str(caught.value)


# --- which STATE counts a rejection --------------------------------------------------------------


def state(
    position: int, name: str | None, namespace: str | None = None, lists: tuple[str, ...] = ()
) -> StateItem:
    """A per-stream STATE for `name`, or a GLOBAL one listing `lists` for None, read as stdin is."""
    if name is None:
        listed = [{"stream_descriptor": {"name": n}} for n in lists]
        raw: dict[str, Any] = {
            "type": "STATE",
            "state": {"type": "GLOBAL", "global": {"stream_states": listed}},
        }
    else:
        descriptor = {"name": name, **({"namespace": namespace} if namespace else {})}
        raw = {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": descriptor}}}
    parsed = parse_line(json.dumps(raw), position)
    assert isinstance(parsed, StateItem)
    return parsed


def item(position: int, stream: str = "people", namespace: str | None = None) -> RecordItem:
    return RecordItem(position, stream, namespace, {"email": f"r{position}@example.com"})


def test_each_rejection_is_counted_by_the_first_state_that_covers_its_stream() -> None:
    rows: list[RejectedRow] = []
    ledger = RejectLedger()  # the rows it returns are what the bucket stores
    for position in (1, 2, 3):
        ledger.track(item(position))
    ledger.track(item(4, "orders"))
    rows.append(
        ledger.rejected(1, "people", None, "bad email", {"email": "x"})
    )  # at once (the record as mapped)
    rows.append(ledger.rejected(4, "orders", None, "bad date", None))
    first_people, orders, second_people = state(5, "people"), state(7, "orders"), state(8, "people")
    ledger.state_arrived(first_people)
    ledger.track(item(6))
    ledger.state_arrived(orders)
    late_row = ledger.rejected(3, "people", "r3@example.com", "Ontraport refused the contact", None)
    rows.append(late_row)  # late: at flush
    rows.append(ledger.rejected(6, "people", None, "bad email", None))
    ledger.settled()
    ledger.state_arrived(second_people)
    assert [ledger.count_for(m) for m in (first_people, orders, second_people)] == [2, 1, 1]
    late = next(r for r in rows if r.position == 3)
    assert (late.stream, late.key, late.record) == ("people", "r3@example.com", {"email": "r3@example.com"})


def test_a_state_counts_the_streams_it_answers_for_exactly_as_the_platform_keys_them() -> None:
    """Namespace and name as the record carries them; a GLOBAL state the streams it lists."""
    ledger = RejectLedger()
    ledger.track(item(1, "people", None))
    ledger.track(item(2, "ghosts"))
    ledger.track(item(3, "people", "crm"))
    for position, stream in ((1, "people"), (2, "ghosts"), (3, "people")):
        ledger.rejected(position, stream, None, "r", None)
    namespaced = state(4, "people", "crm")
    ledger.state_arrived(namespaced)
    listing_people = state(5, None, lists=("people",))
    ledger.state_arrived(listing_people)
    listing_ghosts = state(6, None, lists=("ghosts", "orders"))
    ledger.state_arrived(listing_ghosts)
    assert ledger.count_for(namespaced) == 1  # crm.people only, not the record without a namespace
    assert ledger.count_for(listing_people) == 1  # people without a namespace
    assert ledger.count_for(listing_ghosts) == 1


def test_an_input_line_that_was_no_record_is_stored_but_not_counted() -> None:
    rows: list[RejectedRow] = []
    ledger = RejectLedger()  # the rows it returns are what the bucket stores
    rows.append(ledger.rejected(1, None, None, "line is not valid JSON", None))
    message = state(2, None)
    ledger.state_arrived(message)
    assert ledger.count_for(message) == 0  # recordCount does not count it either
    assert rows == [RejectedRow("line is not valid JSON", INVALID_LINES_STREAM, None, 1, None, None)]


def test_a_superseded_or_settled_record_is_no_longer_held() -> None:
    ledger = RejectLedger()
    ledger.track(item(1))
    ledger.forget(1)
    ledger.track(item(2))
    ledger.settled()
    assert ledger._in_flight == {}


def test_the_echo_is_the_state_as_it_arrived_plus_destination_stats() -> None:
    """The platform's integer `id`, its `sourceStats` and any key the models do not know come back."""
    line = (
        '{"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"people"},'
        '"stream_state":{"cursor":123456789012345678901234567890}},"id":7,"sourceStats":{"recordCount":3.0},'
        '"futureKey":{"a":[1,2]}},"extra":"top-level too"}'
    )
    parsed = parse_line(line, 1)
    assert isinstance(parsed, StateItem)
    echoed = echoed_state(parsed.raw, 1, 2)
    expected = json.loads(line)
    expected["state"]["destinationStats"] = {"recordCount": 1.0, "rejectedRecordCount": 2.0}
    assert echoed == expected
    assert type(echoed["state"]["id"]) is int
    assert echoed["state"]["stream"]["stream_state"]["cursor"] == 123456789012345678901234567890


# --- parts -----------------------------------------------------------------------------------------


class MemoryStore:
    def __init__(self, fail_on: int | None = None) -> None:
        self.objects: dict[str, bytes] = {}
        self.puts = 0
        self.fail_on = fail_on

    def put(self, key: str, body: bytes, content_type: str, what: str = "store rejected records in") -> None:
        self.puts += 1
        if self.puts == self.fail_on:
            raise ObjectStorageError("the bucket is gone", transient=False)
        self.objects[key] = body

    def close(self) -> None:
        pass


def settings(**extra: Any) -> S3ObjectStorage:
    return S3ObjectStorage.model_validate(
        {"storage_type": "S3", "s3_bucket_name": "b", "bucket_path": "p", **extra}
    )


def row(position: int, stream: str = "people") -> RejectedRow:
    return RejectedRow("bad", stream, None, position, None, {"n": position})


def test_one_object_per_stream_and_store_with_part_numbers_counting_up() -> None:
    store = MemoryStore()
    objects = RejectedObjects(BucketTarget(store, settings(), "4242", AT))
    objects.store()
    assert store.puts == 0  # nothing rejected: nothing uploaded
    for position, stream in ((1, "people"), (2, "orders"), (3, "people")):
        objects.add(row(position, stream))
    assert objects.buffered == 3
    objects.store()
    objects.add(row(4))
    objects.store()
    stamp = "2026-12-02_2026-12-02T06:09:25.877Z"
    assert sorted(store.objects) == [
        f"p/4242/orders/{stamp}_2.jsonl",
        f"p/4242/people/{stamp}_1.jsonl",
        f"p/4242/people/{stamp}_3.jsonl",
    ]
    assert [
        json.loads(line)["position"] for line in store.objects[f"p/4242/people/{stamp}_1.jsonl"].splitlines()
    ] == [1, 3]
    assert objects.buffered == 0 and objects.stored == 4


def test_a_failed_put_keeps_that_streams_rows_buffered_and_raises() -> None:
    store = MemoryStore(fail_on=2)
    objects = RejectedObjects(
        BucketTarget(
            store, settings(format={"format_type": "CSV"}, compression={"compression_type": "GZIP"}), "1", AT
        )
    )
    objects.add(row(1, "people"))
    objects.add(row(2, "orders"))
    with pytest.raises(ObjectStorageError):
        objects.store()
    assert objects.buffered == 1 and objects.stored == 1
    (key,) = store.objects
    assert key.endswith("_1.csv.gz") and gzip.decompress(store.objects[key]).startswith(b"error,stream,")
