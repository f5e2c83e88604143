"""Record values a user gets wrong, and what each does: a link that is not an id, a date written
as digits, an id made of digits that are not ASCII, a null beside a real value for the same field.

Each is one rejected record with a reason, or the value the user meant; never a system error.
"""

from __future__ import annotations

import calendar
from typing import Any

import pytest

from destination_ontraport.model.mapping import FieldCatalog, RecordMapper
from destination_ontraport.model.problems import RecordRejected
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS

CATALOG = FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)
EMAIL = "ann@example.com"
LINKS = FieldCatalog.from_meta(
    {
        "email": {"alias": "Email", "type": "email"},
        "f2": {"alias": "Partner", "type": "parent", "parent_object": "0"},
    }
)


def utc(*args: int) -> str:
    return str(calendar.timegm((*args, *(0,) * (6 - len(args)))))


def mapper(catalog: FieldCatalog = CATALOG, match: str = "email") -> RecordMapper:
    return RecordMapper(catalog, catalog.require(match, "match_field"))


def reason_for(catalog: FieldCatalog, record: dict[str, Any]) -> str:
    with pytest.raises(RecordRejected) as caught:
        mapper(catalog).map({"email": EMAIL, **record})
    return caught.value.reason


# link (parent) fields ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [(12, "12"), ("12", "12"), (" 12 ", "12"), ("0012", "12"), (12.0, "12"), (0, "0"), ("0", "0")],
)
def test_a_link_takes_the_id_of_the_linked_record_and_0_removes_the_link(value: Any, wire: str) -> None:
    assert mapper(LINKS).map({"email": EMAIL, "Partner": value})["f2"] == wire


def test_an_empty_link_carries_no_value_and_leaves_the_link_as_it_is() -> None:
    assert "f2" not in mapper(LINKS).map({"email": EMAIL, "Partner": ""})
    assert "f2" not in mapper(LINKS).map({"email": EMAIL, "Partner": "   "})


@pytest.mark.parametrize(
    "value", ["abc", 1.5, -1, "-1", True, False, "1e3", "1.0", "²", "\uff11\uff12", 10**15, [1]]
)
def test_a_link_that_is_not_a_record_id_rejects_the_record(value: Any) -> None:
    reason = reason_for(LINKS, {"Partner": value})
    assert reason.startswith("Partner: "), reason
    assert "record id" in reason or "holds one value" in reason, reason


def test_a_link_read_back_empty_equals_the_0_we_send() -> None:
    from destination_ontraport.model.coercion import wire_equal

    assert wire_equal("parent", "0", "")
    assert wire_equal("parent", "12", "12.0")
    assert not wire_equal("parent", "12", "13")


# record ids (the key of an update or soft_delete stream by `id`) ----------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, "5"),
        ("5", "5"),
        (" 007 ", "7"),
        (5.0, "5"),
        ("²", None),
        ("\uff11\uff12", None),
        ("٣", None),
        ("0", None),
        (0, None),
        ("00", None),
        (-3, None),
        ("-3", None),
        (1.5, None),
        (True, None),
        ("", None),
        (None, None),
        ("9" * 5000, None),
        (10**15, None),
        (float("nan"), None),
        ([5], None),
    ],
)
def test_a_record_id_is_a_positive_whole_number_in_ascii_digits(value: Any, expected: str | None) -> None:
    from destination_ontraport.model.coercion import record_id

    assert record_id(value) == expected


# dates written as digits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("2024", utc(2024, 1, 1)),
        (2024, utc(2024, 1, 1)),
        (" 1999 ", utc(1999, 1, 1)),
        ("20240531", utc(2024, 5, 31)),
        (20240531, utc(2024, 5, 31)),
        (20240531.0, utc(2024, 5, 31)),
        (19000101, utc(1900, 1, 1)),
        (1717113600, utc(2024, 5, 31)),  # ten digits: Unix seconds, as before
        (12345678, "12345678"),  # eight digits that do not start with a year 1900-2100: seconds
    ],
)
def test_a_bare_year_or_yyyymmdd_is_a_date_not_seconds(value: Any, wire: str) -> None:
    catalog = FieldCatalog.from_meta(
        {"email": {"alias": "Email", "type": "email"}, "f7": {"alias": "Renewed", "type": "timestamp"}}
    )
    assert mapper(catalog).map({"email": EMAIL, "renewed": value})["f7"] == wire
    day = str(int(wire) - int(wire) % 86_400)
    assert mapper().map({"email": EMAIL, "birthday": value})["birthday"] == day


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("20240231", "not a date"),
        (20241301, "not a date"),
        ("1850", "out of range"),
        (2101, "out of range"),
        ("0000", "out of range"),
    ],
)
def test_digits_shaped_like_a_date_that_is_not_one_are_rejected(value: Any, problem: str) -> None:
    assert problem in reason_for(CATALOG, {"birthday": value})


# a null never shadows a value for the same field -------------------------------------------------


def test_a_null_match_value_does_not_hide_the_real_one_in_another_spelling() -> None:
    assert mapper().map({"email": None, "Email": "x@x.io"})["email"] == "x@x.io"


def test_a_null_does_not_hide_a_first_name_given_under_another_spelling() -> None:
    m = mapper()
    assert m.map({"email": EMAIL, "First Name": None, "first_name": "Bob"})["firstname"] == "Bob"
    assert m.conflicts == {}


def test_a_value_that_carries_nothing_does_not_hide_one_that_does() -> None:
    out = mapper().map({"email": EMAIL, "birthday": "", "Birthday": "2024-05-31"})
    assert out["birthday"] == utc(2024, 5, 31)


def test_an_empty_match_value_does_not_hide_the_real_one() -> None:
    assert mapper().map({"email": " ", "Email": "x@x.io"})["email"] == "x@x.io"


def test_the_first_of_two_real_values_still_wins() -> None:
    m = mapper()
    assert m.map({"email": EMAIL, "first_name": "Ann", "First Name": "Other"})["firstname"] == "Ann"
    assert "First Name" in m.conflicts


def test_a_null_after_a_value_changes_nothing() -> None:
    m = mapper()
    assert m.map({"email": EMAIL, "first_name": "Ann", "First Name": None})["firstname"] == "Ann"
    assert m.conflicts == {}
