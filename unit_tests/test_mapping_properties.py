"""Properties of the mapper for any JSON input: it returns wire strings or rejects, nothing else."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from destination_ontraport.model.coercion import MAX_TEXT_LENGTH, CoercionError, make_coercer
from destination_ontraport.model.mapping import FieldCatalog, RecordMapper, values_equal
from destination_ontraport.model.problems import RecordRejected
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS

CATALOG = FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)
EMAIL_FIELD = CATALOG.require("email", "match_field")
EXTERNAL_ID = CATALOG.require("External ID", "match_field")

# One source key per writable field, spelled the way sources do, so that every Ontraport type is hit.
SOURCE_KEYS = {
    "first_name": "firstname",
    "email": "email",
    "state": "state",
    "country": "country",
    "Birthday": "birthday",
    "website": "website",
    "phone": "office_phone",
    "mobile": "sms_number",
    "bulk_mail": "bulk_mail",
    "priority": "priority",
    "spent": "spent",
    "external_id": "f1001",
    "lifetime_value": "f1002",
    "plan": "f1003",
    "interests": "f1004",
    "vip": "f1005",
    "signup_date": "f1006",
    "notes": "f1007",
}
FIELD_TYPES = sorted({info.type for info in CATALOG if info.editable})

TRICKY_TEXT = st.sampled_from(
    [
        "",
        "   ",
        "\x00",
        "NaN",
        "-Infinity",
        "1e999999999",
        "1e-999999999",
        "1,234.50",
        "2024-02-30",
        "2024-05-31T10:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "Fri, 31 May 2024 10:00:00 +0000",
        "May 31, 2024",
        "31.05.2024",
        "99999999999999999999",
        "Pro",
        "sports, Travel",
        "*/*1*/*3*/*",
        "yes",
        "a@b.co",
        " A@B.CO ",
        "שלום 🎉",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.sampled_from([2**64, -(2**64), 10**15, 10**11 + 1])
    | st.builds(pow, st.sampled_from([10, -10]), st.just(5001))  # beyond int -> str conversion limits
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=20)
    | TRICKY_TEXT
    | st.just(MAX_TEXT_LENGTH + 1).map("x".__mul__)  # built lazily: a literal this long slows hypothesis
)
KEYS = st.text(max_size=12) | st.sampled_from([*SOURCE_KEYS, "id", "owner", "a.b", "address", "city", ""])
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=8,
)
EMAILS = st.sampled_from(["ann@example.com", " Bob@Example.org "]) | JSON

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(mapper: RecordMapper, record: dict[str, Any]) -> tuple[str, Any]:
    """("ok", fields) or ("rejected", reason); any other exception fails the test."""
    try:
        fields = mapper.map(record)
    except RecordRejected as rejection:
        assert isinstance(rejection.reason, str)
        assert rejection.reason.strip()
        assert len(rejection.reason) < 1_000  # quotes at most 80 chars of a value, never the whole of it
        return ("rejected", rejection.reason)
    assert isinstance(fields, dict)
    for name, wire in fields.items():
        assert isinstance(name, str)
        assert isinstance(wire, str)
        assert CATALOG.get(name) is not None
        assert CATALOG.get(name).editable  # type: ignore[union-attr]
    assert mapper.match_field is not None and fields[mapper.match_field.name]
    assert "id" not in fields
    return ("ok", fields)


def check_record(record: dict[str, Any], **kwargs: Any) -> None:
    match = kwargs.pop("match", EMAIL_FIELD)
    first = outcome(RecordMapper(CATALOG, match, **kwargs), record)
    warm = RecordMapper(CATALOG, match, **kwargs)
    outcome(warm, {"email": "warm@example.com", "external_id": "w"})
    assert outcome(warm, record) == first  # same answer from a mapper with a warm route cache
    assert outcome(warm, record) == first


@PROPERTY_SETTINGS
@given(
    key=st.sampled_from(sorted(SOURCE_KEYS)),
    value=JSON,
    email=EMAILS,
    extra=st.dictionaries(KEYS, JSON, max_size=4),
)
def test_any_value_at_any_mapped_field(key: str, value: Any, email: Any, extra: dict[str, Any]) -> None:
    check_record({**extra, "email": email, key: value})
    check_record({key: value, **extra, "email": email})


@PROPERTY_SETTINGS
@given(record=st.dictionaries(KEYS, JSON, max_size=8))
def test_any_record(record: dict[str, Any]) -> None:
    check_record(record)
    check_record(record, match=EXTERNAL_ID, auto_mapping=False)


@PROPERTY_SETTINGS
@given(
    value=JSON,
    target=st.sampled_from(sorted(info.name for info in CATALOG if info.editable)),
    extra=st.dictionaries(KEYS, JSON, max_size=4),
)
def test_any_value_at_an_explicitly_mapped_dotted_path(
    value: Any, target: str, extra: dict[str, Any]
) -> None:
    explicit = [("src.inner", target)]
    check_record({**extra, "src": {"inner": value}, "email": "ann@example.com"}, explicit=explicit)
    check_record({"src.inner": value, **extra}, explicit=explicit, ignore=["a.b"])


@PROPERTY_SETTINGS
@given(ftype=st.sampled_from(FIELD_TYPES), value=JSON)
def test_coercers_return_strings_or_explain(ftype: str, value: Any) -> None:
    info = next(info for info in CATALOG if info.type == ftype)
    coerce = make_coercer(ftype, info.options)
    if value is None:
        return  # the mapper never passes null to a coercer
    try:
        wire = coerce(value)
    except CoercionError as error:
        assert error.problem.strip()
        with pytest.raises(CoercionError) as again:
            coerce(value)
        assert again.value.problem == error.problem
        return
    assert wire is None or isinstance(wire, str)
    assert coerce(value) == wire
    if wire is not None:
        assert values_equal(info, wire, wire)  # what we send compares equal to itself read back


@PROPERTY_SETTINGS
@given(value=st.integers(min_value=-(10**14), max_value=10**14) | st.floats(min_value=-1e14, max_value=1e14))
def test_numbers_in_range_round_trip(value: float) -> None:
    wire = make_coercer("numeric", {})(value)
    assert wire is not None
    assert "e" not in wire
    assert math.isclose(float(wire), value, rel_tol=1e-15, abs_tol=1e-20)
    assert values_equal(CATALOG.require("f1002", "x"), wire, float(wire))  # read back as a JSON number


@PROPERTY_SETTINGS
@given(moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31, 23, 59, 59)))
def test_iso_datetimes_become_their_epoch_seconds(moment: datetime) -> None:
    wire = make_coercer("timestamp", {})(moment.isoformat())
    expected = (moment.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()
    assert wire == str(math.floor(expected))
    assert make_coercer("timestamp", {})(moment.isoformat() + "Z") == wire
    day = make_coercer("fulldate", {})(moment.isoformat())
    assert day == str(math.floor(expected) - math.floor(expected) % 86_400), "a date-only field keeps the day"
    signup = CATALOG.require("f1006", "test")
    assert day is not None
    if day == "0":  # 1970-01-01 is Ontraport's "no date": nothing to compare by day
        return
    assert values_equal(signup, day, str(int(day) + 7 * 3600)), "the day, read back as midnight in UTC-7"
    assert not values_equal(signup, day, str(int(day) + 86_400)), "the next day is another day"


@PROPERTY_SETTINGS
@given(name=st.sampled_from(sorted(SANDBOX_CONTACT_FIELDS)), ours=st.text() | TRICKY_TEXT, theirs=JSON)
def test_values_equal_answers_for_anything_read_back(name: str, ours: str, theirs: Any) -> None:
    info = CATALOG.get(name)
    assert info is not None
    answer = values_equal(info, ours, theirs)
    assert answer is values_equal(info, ours, theirs)
    assert isinstance(answer, bool)
    assert values_equal(info, ours, ours)
