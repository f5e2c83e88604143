"""Input parsing (every bad line becomes a reason) and `append_dedup`'s latest-by-cursor rule."""

from __future__ import annotations

import json

import pytest
from airbyte_cdk.models import AirbyteMessageSerializer

from destination_ontraport.protocol.messages import (
    IgnoredItem,
    InvalidItem,
    RecordItem,
    StateItem,
    StreamStatusItem,
    from_messages,
    parse_line,
    parse_lines,
)
from destination_ontraport.sync.dedup import LatestByCursor


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json at all", "not valid JSON"),
        ("[1, 2]", "not an Airbyte message (a list)"),
        ('{"type": "BANANA"}', "not an Airbyte message (type 'BANANA')"),
        ('{"type": "RECORD"}', "no `record` object"),
        ('{"type": "RECORD", "record": {"data": {}}}', "no stream name"),
        ('{"type": "RECORD", "record": {"stream": "s", "data": [1]}}', "no `data` object"),
        ('{"type": "STATE", "state": {"type": "NOPE"}}', "STATE message is malformed"),
        ('{"type": "STATE", "state": {"type": "STREAM"}}', "STATE message is malformed"),
        ('{"type": "STATE", "state": {"type": "GLOBAL"}}', "STATE message is malformed"),
        (
            '{"type": "TRACE", "trace": {"type": "STREAM_STATUS", "stream_status": {}}}',
            "no stream descriptor",
        ),
    ],
)
def test_bad_lines_become_invalid_items_with_a_reason(line: str, reason: str) -> None:
    item = parse_line(line, 7)
    assert isinstance(item, InvalidItem)
    assert item.position == 7
    assert reason in item.reason


def test_a_long_bad_line_is_quoted_short() -> None:
    item = parse_line("x" * 10_000, 1)
    assert isinstance(item, InvalidItem) and len(item.reason) < 200


def test_good_lines_become_typed_items_and_blank_lines_are_skipped() -> None:
    lines = [
        json.dumps(
            {"type": "RECORD", "record": {"stream": "s", "namespace": "n", "data": {"a": 1}, "emitted_at": 0}}
        ),
        "",
        json.dumps({"type": "STATE", "state": {"type": "LEGACY", "data": {"c": 1}}}),
        json.dumps({"type": "LOG", "log": {"level": "INFO", "message": "hi"}}),
        json.dumps(
            {
                "type": "TRACE",
                "trace": {
                    "type": "STREAM_STATUS",
                    "emitted_at": 0,
                    "stream_status": {"stream_descriptor": {"name": "s"}, "status": "COMPLETE"},
                },
            }
        ),
    ]
    items = list(parse_lines(lines))
    assert [type(i) for i in items] == [RecordItem, StateItem, IgnoredItem, StreamStatusItem]
    assert [i.position for i in items] == [1, 3, 4, 5]
    record = items[0]
    assert isinstance(record, RecordItem) and (record.stream, record.namespace, record.data) == (
        "s",
        "n",
        {"a": 1},
    )
    status = items[3]
    assert isinstance(status, StreamStatusItem) and status.status == "COMPLETE"


def test_dedup_keeps_the_highest_cursor_and_the_later_of_equal_cursors() -> None:
    dedup: LatestByCursor[str] = LatestByCursor()
    assert dedup.offer(1, "2024-03-01", "newest") is None
    assert dedup.offer(1, "2024-01-01", "older") == "older"
    assert dedup.offer(2, 5, "first") is None
    assert dedup.offer(2, 5, "second") == "first"
    assert dedup.offer(3, None, "no cursor") is None
    assert dedup.drain() == ["newest", "second", "no cursor"]


def test_dedup_remembers_applied_cursors_across_batches() -> None:
    dedup: LatestByCursor[str] = LatestByCursor()
    dedup.offer("k", 10, "v10")
    dedup.drain()
    assert dedup.offer("k", 3, "v3") == "v3", "an older version in a later batch loses"
    assert dedup.offer("k", 10, "v10 again") is None, "an equal cursor arriving later wins"
    assert dedup.drain() == ["v10 again"]


def test_dedup_orders_mixed_cursor_types_without_crashing() -> None:
    dedup: LatestByCursor[str] = LatestByCursor()
    for cursor in [None, 3, "text", {"a": 1}, [1], True, 2.5]:
        dedup.offer("k", cursor, repr(cursor))
    assert dedup.drain() == ["{'a': 1}"]


def test_integers_beyond_64_bits_stay_exact() -> None:
    line = b'{"type":"RECORD","record":{"stream":"s","data":{"id":123456789012345678901234567890,"x":1.5}}}'
    item = parse_line(line, 1)
    assert isinstance(item, RecordItem)
    assert item.data["id"] == 123456789012345678901234567890
    assert isinstance(item.data["id"], int)


def test_nan_is_rejected_even_on_the_big_integer_path() -> None:
    line = b'{"type":"RECORD","record":{"stream":"s","data":{"id":1234567890123456789012,"x":NaN}}}'
    item = parse_line(line, 1)
    assert isinstance(item, InvalidItem) and "not valid JSON" in item.reason


def test_invalid_utf8_is_a_rejected_line_not_replaced_text() -> None:
    item = parse_line(b'{"type":"RECORD","record":{"stream":"s","data":{"name":"\xff\xfe"}}}', 3)
    assert isinstance(item, InvalidItem) and "not valid JSON" in item.reason


def test_a_state_keeps_every_key_and_says_which_streams_it_answers_for() -> None:
    stream_line = (
        '{"type":"STATE","state":{"type":"STREAM","id":3,"sourceStats":{"recordCount":2.0},'
        '"stream":{"stream_descriptor":{"name":"s","namespace":"n"},"stream_state":{"c":1}}}}'
    )
    item = parse_line(stream_line, 1)
    assert isinstance(item, StateItem)
    assert item.raw == json.loads(stream_line) and item.streams == frozenset({("n", "s")})
    listed = [{"stream_descriptor": {"name": "a"}}, {"stream_descriptor": {"name": "b", "namespace": "x"}}]
    global_line = json.dumps(
        {"type": "STATE", "state": {"type": "GLOBAL", "global": {"stream_states": listed}}}
    )
    item = parse_line(global_line, 2)
    assert isinstance(item, StateItem) and item.streams == frozenset({(None, "a"), ("x", "b")})
    legacy = parse_line('{"type":"STATE","state":{"type":"LEGACY","data":{"c":1}}}', 3)
    assert isinstance(legacy, StateItem) and legacy.streams is None


def test_parsed_messages_of_the_cdk_contract_become_the_same_items() -> None:
    message = AirbyteMessageSerializer.load(
        {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "s"}}}}
    )
    (item,) = list(from_messages([message]))
    assert isinstance(item, StateItem) and item.streams == frozenset({(None, "s")})
    assert item.raw["state"]["stream"]["stream_descriptor"] == {"name": "s"}
