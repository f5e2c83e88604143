"""Record -> contact fields: routing (names, aliases, paths, conflicts) and coercion by field type."""

from __future__ import annotations

import calendar
from typing import Any

import pytest

from destination_ontraport.model.coercion import MAX_TEXT_LENGTH, quote
from destination_ontraport.model.mapping import (
    MAX_UNMAPPED_LISTED,
    FieldCatalog,
    FieldInfo,
    RecordMapper,
    is_airbyte_column,
    key_normaliser,
    normalise,
    values_equal,
)
from destination_ontraport.model.problems import MappingConfigError, RecordRejected
from ontraport_sandbox.meta_fixtures import SANDBOX_CONTACT_FIELDS

CATALOG = FieldCatalog.from_meta(SANDBOX_CONTACT_FIELDS)
EMAIL = "ann@example.com"


def make_mapper(match: str = "email", catalog: FieldCatalog = CATALOG, **kwargs: Any) -> RecordMapper:
    return RecordMapper(catalog, catalog.require(match, "match_field"), **kwargs)


def mapped(record: dict[str, Any], **kwargs: Any) -> dict[str, str]:
    """map() of the record plus a valid email (unless the record names the email itself)."""
    return make_mapper(**kwargs).map({"email": EMAIL, **record})


def rejected(record: dict[str, Any], **kwargs: Any) -> str:
    with pytest.raises(RecordRejected) as caught:
        make_mapper(**kwargs).map({"email": EMAIL, **record})
    assert caught.value.reason == str(caught.value)
    return caught.value.reason


def utc(*args: int) -> str:
    return str(calendar.timegm((*args, *(0,) * (6 - len(args)))))


def field(name: str) -> FieldInfo:
    info = CATALOG.get(name)
    assert info is not None
    return info


# normalisation and the catalog ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("first_name", "firstname"),
        ("First Name", "firstname"),
        ("firstname", "firstname"),
        ("FirstName", "firstname"),
        ("  first-name!! ", "firstname"),
        ("address.city", "addresscity"),
        ("Straße_Nr", "straßenr"),
        ("Ünïcode Name", "ünïcodename"),
        ("電話 番号", "電話番号"),
        ("___", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("firstname", "firstname"),
        ("First Name", "firstname"),
        ("first_name", "firstname"),
        ("FIRST-NAME", "firstname"),
        ("External ID", "f1001"),
        ("external_id", "f1001"),
        ("f1001", "f1001"),
        ("Zip Code", "zip"),
        ("zip", "zip"),
        ("Job Title", "title"),
        ("Score", "grade"),
        ("Unique ID", "unique_id"),
    ],
)
def test_resolve_by_name_or_alias(query: str, name: str) -> None:
    assert field(name) == CATALOG.resolve(query)


def test_resolve_unknown_is_none_and_synonyms_are_not_used() -> None:
    assert CATALOG.resolve("nonexistent") is None
    assert CATALOG.resolve("phone") is None  # synonyms serve automatic mapping only
    assert CATALOG.resolve("") is None


def test_name_wins_over_another_fields_alias() -> None:
    catalog = FieldCatalog.from_meta(
        {
            "f2001": {"alias": "City", "type": "text"},
            "city": {"alias": "Town", "type": "text"},
        }
    )
    assert catalog.resolve("city") == catalog.get("city")
    assert catalog.resolve("Town") == catalog.get("city")


def test_from_meta_reads_types_flags_and_options() -> None:
    plan = field("f1003")
    assert plan == FieldInfo("f1003", "Plan", "drop", {"1": "Free", "2": "Pro", "3": "Enterprise"}, True)
    assert field("unique_id").editable is False
    assert field("email").type == "email"
    assert len(CATALOG) == len(SANDBOX_CONTACT_FIELDS)
    assert [info.name for info in CATALOG] == list(SANDBOX_CONTACT_FIELDS)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (None, {}),
        ("garbage", {}),
        ([], {}),
        ({}, {}),
        (["Red", "Green"], {"0": "Red", "1": "Green"}),
        ({"5": "Red", 6: "Green"}, {"5": "Red", "6": "Green"}),
        ([{"id": "5", "label": "Red"}, {"value": 6, "name": "Green"}], {"5": "Red", "6": "Green"}),
        ({"5": "Red", "6": None}, {"5": "Red"}),
    ],
)
def test_from_meta_is_lenient_about_options(options: Any, expected: dict[str, str]) -> None:
    meta: dict[str, Any] = {"alias": "Colour", "type": "drop"}
    if options is not None:
        meta["options"] = options
    assert FieldCatalog.from_meta({"f1": meta}).get("f1") == FieldInfo("f1", "Colour", "drop", expected)


def test_from_meta_is_lenient_about_missing_keys_and_odd_flags() -> None:
    catalog = FieldCatalog.from_meta(
        {
            "f1": {},
            "f2": {"alias": "", "type": "TEXT", "editable": 0},
            "f3": {"editable": "false"},
            "f4": {"editable": True},
            "junk": "not a mapping",  # type: ignore[dict-item]
        }
    )
    assert catalog.get("f1") == FieldInfo("f1", "f1", "text")
    assert catalog.get("f2") == FieldInfo("f2", "f2", "text", editable=False)
    assert catalog.get("f3") == FieldInfo("f3", "f3", "text", editable=False)
    assert catalog.get("f4") == FieldInfo("f4", "f4", "text", editable=True)
    assert catalog.get("junk") is None


def test_require_names_the_purpose_and_the_nearest_fields() -> None:
    with pytest.raises(MappingConfigError) as caught:
        CATALOG.require("Extrnal ID", "match_field")
    message = str(caught.value)
    assert message.startswith(
        'Ontraport has no contact field "Extrnal ID" (used as match_field). Nearest fields: '
    )
    assert "External ID (f1001)" in message


def test_require_suggests_by_normalised_name_too() -> None:
    with pytest.raises(MappingConfigError, match=r"Nearest fields: .*Office Phone \(office_phone\)"):
        CATALOG.require("OFFICE__PHON", "the target of the field mapping from 'tel'")


def test_require_without_similar_names_lists_some_fields() -> None:
    with pytest.raises(MappingConfigError) as caught:
        CATALOG.require("qqqqzzzz", "match_field")
    message = str(caught.value)
    assert "No field has a similar name" in message
    assert "First Name (firstname)" in message
    assert "more" in message


def test_require_returns_the_field() -> None:
    assert CATALOG.require("Lifetime Value", "x") == field("f1002")


# automatic mapping ------------------------------------------------------------------------------


def test_auto_mapping_by_name_alias_and_normalised_forms() -> None:
    out = mapped(
        {
            "first_name": "Ann",
            "Last Name": "Lee",
            "CompanY": "Acme",
            "external_id": "X-1",
            "Lifetime Value": 10,
            "signup_date": "2024-05-31",
            "zip_code": "75001",
        }
    )
    assert out == {
        "email": EMAIL,
        "firstname": "Ann",
        "lastname": "Lee",
        "company": "Acme",
        "f1001": "X-1",
        "f1002": "10",
        "f1006": utc(2024, 5, 31),
        "zip": "75001",
    }


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("phone", "office_phone"),
        ("mobile", "sms_number"),
        ("Mobile Phone", "sms_number"),
        ("cell", "sms_number"),
        ("cell_phone", "sms_number"),
        ("postal_code", "zip"),
        ("postcode", "zip"),
        ("zipcode", "zip"),
        ("company_name", "company"),
        ("organization", "company"),
        ("job_title", "title"),
        ("given_name", "firstname"),
        ("family_name", "lastname"),
        ("surname", "lastname"),
    ],
)
def test_synonyms(source: str, target: str) -> None:
    assert mapped({source: "v"})[target] == "v"


def test_synonym_for_the_email() -> None:
    assert make_mapper().map({"email_address": "A@B.CO"}) == {"email": "A@B.CO"}


def test_synonym_to_a_field_the_account_lacks_is_unmapped() -> None:
    catalog = FieldCatalog.from_meta({"email": {"alias": "Email", "type": "email"}})
    mapper = make_mapper(catalog=catalog)
    assert mapper.map({"email": EMAIL, "phone": "1"}) == {"email": EMAIL}
    assert mapper.unmapped_paths == {"phone"}


@pytest.mark.parametrize(
    "source",
    ["id", "ID", "unique_id", "Unique ID", "date", "Date Added", "dla", "dlm", "contact_cat", "owner"],
)
def test_system_fields_are_never_mapped_automatically(source: str) -> None:
    mapper = make_mapper()
    assert mapper.map({"email": EMAIL, source: "123"}) == {"email": EMAIL}
    assert mapper.unmapped_paths == {source}


def test_a_source_id_never_reaches_the_contact_id_even_if_meta_calls_it_editable() -> None:
    catalog = FieldCatalog.from_meta(
        {"id": {"alias": "Contact ID", "type": "numeric", "editable": "1"}, "email": {"type": "email"}}
    )
    mapper = make_mapper(catalog=catalog)
    assert mapper.map({"email": EMAIL, "id": 5, "contact_id": 6, "user": {"id": 7}}) == {"email": EMAIL}
    with pytest.raises(MappingConfigError, match="read-only"):
        make_mapper(catalog=catalog, explicit=[("ref", "id")])


def test_update_sequence_and_read_only_custom_fields_are_not_mapped_automatically() -> None:
    catalog = FieldCatalog.from_meta(
        {
            "email": {"alias": "Email", "type": "email"},
            "updateSequence": {"alias": "Sequences", "type": "text", "editable": "1"},
            "f1": {"alias": "Computed", "type": "numeric", "editable": "0"},
        }
    )
    record = {"email": EMAIL, "update_sequence": "*/*1*/*", "Sequences": "x", "computed": 3}
    assert make_mapper(catalog=catalog).map(record) == {"email": EMAIL}


def test_nested_objects_map_by_leaf_name() -> None:
    mapper = make_mapper()
    out = mapper.map({"email": EMAIL, "address": {"city": "Paris", "street": "1 rue X", "zip": "75001"}})
    assert out == {"email": EMAIL, "city": "Paris", "zip": "75001"}
    assert mapper.unmapped_paths == {"address.street"}


def test_nested_full_path_is_tried_before_the_leaf() -> None:
    # signup.date -> "signupdate" is the alias "Signup Date"; the leaf "date" alone is a system field
    assert mapped({"signup": {"date": "2024-05-31"}}) == {"email": EMAIL, "f1006": utc(2024, 5, 31)}


def test_deeply_nested_leaf() -> None:
    assert mapped({"a": {"b": {"c": {"first_name": "Deep"}}}})["firstname"] == "Deep"


def test_nested_id_is_not_mapped() -> None:
    mapper = make_mapper()
    assert mapper.map({"email": EMAIL, "account": {"id": 5, "owner": 3}}) == {"email": EMAIL}
    assert mapper.unmapped_paths == {"account.id", "account.owner"}


def test_empty_objects_are_ignored() -> None:
    mapper = make_mapper()
    assert mapper.map({"email": EMAIL, "meta": {}}) == {"email": EMAIL}
    assert mapper.unmapped_paths == set()


def test_top_level_wins_over_nested_even_when_nested_comes_first() -> None:
    mapper = make_mapper()
    out = mapper.map({"owner_info": {"email": "boss@example.com"}, "email": EMAIL})
    assert out == {"email": EMAIL}
    assert "owner_info.email" in mapper.unmapped_paths
    assert "email" in mapper.conflicts["owner_info.email"]


def test_a_null_holds_no_field_so_a_later_path_with_a_value_wins_it() -> None:
    mapper = make_mapper()
    out = mapper.map({"email": EMAIL, "first_name": None, "manager": {"firstname": "Bob"}})
    assert out == {"email": EMAIL, "firstname": "Bob"}
    assert mapper.conflicts == {}


def test_earlier_top_level_key_wins() -> None:
    mapper = make_mapper()
    out = mapper.map({"email": EMAIL, "first_name": "Ann", "First Name": "Other"})
    assert out["firstname"] == "Ann"
    assert mapper.unmapped_paths == {"First Name"}
    assert "first_name" in mapper.conflicts["First Name"]


def test_conflict_is_per_record() -> None:
    mapper = make_mapper()
    assert mapper.map({"boss": {"firstname": "Bob"}, "email": EMAIL}) == {"email": EMAIL, "firstname": "Bob"}
    assert mapper.unmapped_paths == set()


def test_ignore_top_level_nested_and_subtrees() -> None:
    mapper = make_mapper(ignore=["first_name", "address.city", "billing"])
    out = mapper.map(
        {
            "email": EMAIL,
            "first_name": "Ann",
            "address": {"city": "Paris", "zip": "1"},
            "billing": {"company": "Acme", "street": "x"},
        }
    )
    assert out == {"email": EMAIL, "zip": "1"}
    assert mapper.unmapped_paths == set()


AIRBYTE_COLUMNS = {
    "_airbyte_raw_id": "0d9f1f0e-5f36-4c8e-9d5c-2f1f9a3c7b11",
    "_airbyte_extracted_at": "2024-05-31T12:00:00Z",
    "_airbyte_meta": {"changes": [], "sync_id": 42},
    "_airbyte_generation_id": 3,
    "_ab_source_file_url": "s3://bucket/people.csv",
    "_ab_cdc_lsn": 123,
    "_ab_cdc_updated_at": "2024-05-31T12:00:00Z",
}


def test_airbyte_columns_are_passed_over_silently() -> None:
    mapper = make_mapper()
    out = mapper.map({"email": EMAIL, "first_name": "Ann", "unknown_column": 1, **AIRBYTE_COLUMNS})
    assert out == {"email": EMAIL, "firstname": "Ann"}
    assert mapper.unmapped_paths == {"unknown_column"}, "only the source's own column is named"


def test_ab_cdc_deleted_at_is_not_airbyte_metadata_and_an_explicit_mapping_reaches_airbyte_columns() -> None:
    mapper = make_mapper(explicit=[("_airbyte_extracted_at", "Birthday"), ("_airbyte_meta.sync_id", "f1002")])
    out = mapper.map({"email": EMAIL, "_ab_cdc_deleted_at": None, **AIRBYTE_COLUMNS})
    assert out == {"email": EMAIL, "birthday": utc(2024, 5, 31), "f1002": "42"}  # birthday is date-only
    assert mapper.unmapped_paths == {"_ab_cdc_deleted_at"}
    assert is_airbyte_column("_airbyte_raw_id") and is_airbyte_column("_ab_cdc_lsn")
    assert not is_airbyte_column("_ab_cdc_deleted_at") and not is_airbyte_column("airbyte_id")


def test_auto_mapping_off_keeps_only_explicit_and_the_match_field() -> None:
    mapper = make_mapper(auto_mapping=False, explicit=[("nick", "First Name")])
    out = mapper.map({"email": EMAIL, "nick": "Annie", "last_name": "Lee"})
    assert out == {"email": EMAIL, "firstname": "Annie"}
    assert mapper.unmapped_paths == {"last_name"}


# explicit mapping -------------------------------------------------------------------------------


def test_explicit_mapping_by_alias_and_dotted_path() -> None:
    explicit = [("profile.ltv", "Lifetime Value"), ("tier", "f1003"), ("contact.mail", "email")]
    mapper = make_mapper(explicit=explicit)
    out = mapper.map({"profile": {"ltv": "99.50"}, "tier": "enterprise", "contact": {"mail": "X@Y.org"}})
    assert out == {"f1002": "99.5", "f1003": "3", "email": "X@Y.org"}


def test_explicit_mapping_of_a_top_level_key_containing_dots() -> None:
    mapper = make_mapper(explicit=[("stats.ltv", "f1002")])
    assert mapper.map({"email": EMAIL, "stats.ltv": 5}) == {"email": EMAIL, "f1002": "5"}


def test_top_level_dotted_key_wins_over_the_same_nested_path() -> None:
    mapper = make_mapper(explicit=[("stats.ltv", "f1002")])
    out = mapper.map({"email": EMAIL, "stats": {"ltv": 1}, "stats.ltv": 2})
    assert out["f1002"] == "2"
    assert mapper.unmapped_paths == {"stats.ltv"}


def test_explicit_mapping_wins_over_automatic_for_its_target() -> None:
    mapper = make_mapper(explicit=[("nick", "firstname")])
    out = mapper.map({"email": EMAIL, "first_name": "Ann", "nick": "Annie"})
    assert out["firstname"] == "Annie"
    assert mapper.unmapped_paths == {"first_name"}
    assert mapper.conflicts == {"first_name": "firstname (mapped explicitly from 'nick')"}


def test_explicit_mapping_replaces_the_automatic_route_of_its_source() -> None:
    mapper = make_mapper(match="f1001", explicit=[("email", "f1001")])
    assert mapper.map({"email": "A@B.CO"}) == {"f1001": "A@B.CO"}


def test_explicit_mapping_may_target_system_fields_that_are_editable() -> None:
    assert mapped({"rep": 7}, explicit=[("rep", "owner")]) == {"email": EMAIL, "owner": "7"}


def test_one_source_to_two_fields() -> None:
    out = mapped({"ref": "R1"}, explicit=[("ref", "f1001"), ("ref", "Notes")])
    assert out == {"email": EMAIL, "f1001": "R1", "f1007": "R1"}


def test_explicit_object_path_is_a_value_and_rejected() -> None:
    reason = rejected({"profile": {"a": 1}}, explicit=[("profile", "f1007")])
    assert reason.startswith("field f1007 (Notes) from source 'profile': is an object")


def test_explicit_mapping_to_a_read_only_field_is_a_config_error() -> None:
    with pytest.raises(MappingConfigError, match=r"Unique ID \(unique_id\) is read-only"):
        make_mapper(explicit=[("uid", "Unique ID")])
    with pytest.raises(MappingConfigError, match="read-only"):
        make_mapper(explicit=[("added", "date")])


def test_explicit_mapping_to_an_unknown_field_suggests() -> None:
    with pytest.raises(MappingConfigError) as caught:
        make_mapper(explicit=[("ltv", "Lifetime Valeu")])
    message = str(caught.value)
    assert "\"Lifetime Valeu\" (used as the target of the field mapping from 'ltv')" in message
    assert "Lifetime Value (f1002)" in message


def test_two_sources_to_one_field_is_a_config_error() -> None:
    with pytest.raises(MappingConfigError, match="two field mappings"):
        make_mapper(explicit=[("a", "firstname"), ("b", "First Name")])


def test_mapped_and_ignored_is_a_config_error() -> None:
    with pytest.raises(MappingConfigError, match="both mapped explicitly and ignored"):
        make_mapper(explicit=[("address.city", "city")], ignore=["address"])
    with pytest.raises(MappingConfigError, match="empty source"):
        make_mapper(explicit=[(" ", "city")])


def test_read_only_match_field_is_a_config_error() -> None:
    with pytest.raises(MappingConfigError, match="read-only"):
        make_mapper(match="unique_id")


# bookkeeping ------------------------------------------------------------------------------------


def test_records_of_one_shape_map_as_a_fresh_mapper_maps_each() -> None:
    """After the first record of a key sequence, its records take the flat path: whatever their
    values (null, nested objects, a second key for the same field), the answer must not change."""
    records: list[dict[str, Any]] = [
        {"email": EMAIL, "first_name": "A", "address": "x", "plan": "Pro", "id": 5},
        {"email": EMAIL, "first_name": None, "address": {"city": "Paris"}, "plan": "Pro", "id": 5},
        {"email": EMAIL, "first_name": "B", "address": {}, "plan": None, "id": None},
        {"email": None, "first_name": "C", "address": "y", "plan": "Pro", "id": 1},
        {"email": EMAIL, "first_name": {"nested": 1}, "address": "z", "plan": "Pro", "id": 1},
        {"email": EMAIL, "first_name": "D", "address": "z", "plan": "Gold", "id": 1},
        {"email": EMAIL, "first_name": "E", "address": {"city": "Rome"}, "plan": "Free", "id": 1},
    ]
    both = [
        {"first_name": first, "First Name": second, "email": EMAIL}
        for first, second in [("A", "B"), (None, "B"), ("A", None)]
    ]
    for batch in (records, both):
        warm = make_mapper()
        for record in batch * 2:
            try:
                expected: Any = make_mapper().map(record)
            except RecordRejected as rejection:
                expected = rejection.reason
            try:
                got: Any = warm.map(record)
            except RecordRejected as rejection:
                got = rejection.reason
            assert got == expected, record


def test_unmapped_paths_are_bounded_for_data_dependent_keys() -> None:
    mapper = make_mapper()
    for i in range(MAX_UNMAPPED_LISTED + 500):
        assert mapper.map({"email": EMAIL, "first_name": "A", f"attr_{i}": i}) == {
            "email": EMAIL,
            "firstname": "A",
        }
        assert mapper.unmapped_overflow is (i >= MAX_UNMAPPED_LISTED)
    assert len(mapper.unmapped_paths) == MAX_UNMAPPED_LISTED
    assert "attr_0" in mapper.unmapped_paths and f"attr_{MAX_UNMAPPED_LISTED}" not in mapper.unmapped_paths


def test_unmapped_paths_accumulate() -> None:
    mapper = make_mapper(ignore=["skip"])
    mapper.map({"email": EMAIL, "first_name": "A", "foo": 1, "skip": 2})
    mapper.map({"email": EMAIL, "city": None, "bar": {"baz": [1]}, "vip": True})
    assert mapper.unmapped_paths == {"foo", "bar.baz"}
    mapper.unmapped_paths.add("mutating a copy")
    assert "mutating a copy" not in mapper.unmapped_paths


def test_routes_are_cached_per_path() -> None:
    mapper = make_mapper()
    for _ in range(3):
        mapper.map({"email": EMAIL, "first_name": "A", "x": {"city": "P"}})
    assert set(mapper._top_routes) == {"email", "first_name", "x"}
    assert set(mapper._nested_routes) == {("x", "city")}


def test_map_does_not_modify_the_record() -> None:
    record = {"email": " A@B.CO ", "address": {"city": " Paris "}, "interests": ["Music"]}
    snapshot = repr(record)
    make_mapper().map(record)
    assert repr(record) == snapshot


# nulls and empty strings ------------------------------------------------------------------------


def test_nulls_are_left_out() -> None:
    record = {"first_name": None, "ltv": None, "vip": None, "plan": None, "interests": None, "birthday": None}
    assert mapped(record, explicit=[("ltv", "f1002")]) == {"email": EMAIL}


def test_empty_strings_clear_text_like_fields_only() -> None:
    record = {
        "first_name": "  ",
        "website": "",
        "interests": "",
        "lifetime_value": "",
        "vip": " ",
        "plan": "",
        "birthday": "",
        "signup_date": "   ",
    }
    assert mapped(record) == {"email": EMAIL, "firstname": "", "website": "", "f1004": ""}


# coercion: text-like ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("  Ann  ", "Ann"),
        (42, "42"),
        (-7, "-7"),
        (3.0, "3"),
        (3.5, "3.5"),
        (0.1, "0.1"),
        (1e-7, "0.0000001"),
        (True, "true"),
        (False, "false"),
        ("Ünïcödé 🎉", "Ünïcödé 🎉"),
        ("שלום עולם", "שלום עולם"),
        ("a\tb\nc", "a\tb\nc"),
        ("\u200bzero width", "\u200bzero width"),
        ("x" * MAX_TEXT_LENGTH, "x" * MAX_TEXT_LENGTH),
    ],
)
def test_text_values(value: Any, wire: str) -> None:
    assert mapped({"company": value})["company"] == wire


@pytest.mark.parametrize(
    "source", ["city", "state", "country", "website", "office_phone", "sms_number", "notes"]
)
def test_other_text_like_types(source: str) -> None:
    out = mapped({source: " 12 "})
    assert list(out.values())[-1] == "12"


def test_unknown_types_behave_as_text_and_a_link_takes_an_id() -> None:
    catalog = FieldCatalog.from_meta(
        {
            "email": {"alias": "Email", "type": "email"},
            "f1": {"alias": "Picture", "type": "image"},
            "f2": {"alias": "Partner", "type": "parent"},
        }
    )
    out = make_mapper(catalog=catalog).map({"email": EMAIL, "picture": " x.png ", "partner": 12})
    assert out == {"email": EMAIL, "f1": "x.png", "f2": "12"}


def test_text_rejects_nul() -> None:
    reason = rejected({"company": "Ac\x00me"})
    assert reason == "company: 'Ac\\x00me' contains a NUL character, which Ontraport cannot store"


def test_text_rejects_over_65535_characters_quoting_only_80() -> None:
    reason = rejected({"company": "y" * 1_048_576})
    assert reason == (
        "company: '" + "y" * 80 + "…' is 1,048,576 characters long; Ontraport text fields hold at most 65,535"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (["a"], "is a list; a text field holds one value"),
        (float("nan"), "nan is not a finite number"),
        (float("inf"), "inf is not a finite number"),
    ],
)
def test_text_rejects(value: Any, problem: str) -> None:
    assert rejected({"company": value}).startswith(f"company: {problem}")


def test_text_field_with_a_huge_integer() -> None:
    assert mapped({"company": 10**40})["company"] == "1" + "0" * 40
    assert "too many digits" in rejected({"company": 10**5000})


# coercion: email --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("ann@example.com", "ann@example.com"),
        ("  Ann.Lee+tag@Example.CO.uk ", "Ann.Lee+tag@Example.CO.uk"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("josé@exämple.com", "josé@exämple.com"),
    ],
)
def test_email_values(value: str, wire: str) -> None:
    assert make_mapper().map({"email": value}) == {"email": wire}


@pytest.mark.parametrize(
    "value",
    [
        "not an email",
        "ann@",
        "@example.com",
        "ann@example",
        "ann@@example.com",
        "ann@exa mple.com",
        "ann@example..com",
        "ann@.example.com",
        "ann@example.com.",
        "ann\x00@example.com",
        "a" * 250 + "@example.com",
        42,
        True,
        ["ann@example.com"],
    ],
)
def test_email_rejects(value: Any) -> None:
    reason = rejected({"email": value})
    assert reason.startswith("email: ")
    assert "not a valid email address" in reason or "holds one value" in reason


def test_email_rejection_message() -> None:
    assert rejected({"email": "not an email"}) == "email: 'not an email' is not a valid email address"


def test_secondary_email_field_empty_string_clears() -> None:
    catalog = FieldCatalog.from_meta(
        {"f1001": {"alias": "External ID", "type": "text"}, "f9": {"alias": "Work Email", "type": "email"}}
    )
    mapper = make_mapper(match="f1001", catalog=catalog)
    assert mapper.map({"external_id": "1", "work_email": ""}) == {"f1001": "1", "f9": ""}


# coercion: numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (3, "3"),
        (-3, "-3"),
        (0, "0"),
        (3.0, "3"),
        (3.5, "3.5"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1e-7, "0.0000001"),
        (1e-300, "0"),
        (999_999_999_999_999, "999999999999999"),
        ("3", "3"),
        (" 3.50 ", "3.5"),
        ("+3", "3"),
        ("-2.5", "-2.5"),
        (".5", "0.5"),
        ("5.", "5"),
        ("1,234.50", "1234.5"),
        ("1,234,567", "1234567"),
        ("1e3", "1000"),
        ("007", "7"),
    ],
)
def test_numeric_values(value: Any, wire: str) -> None:
    assert mapped({"lifetime_value": value})["f1002"] == wire
    assert mapped({"spent": value})["spent"] == wire


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (True, "true is a true/false value, not a number"),
        ("abc", "'abc' is not a number"),
        ("1,23", "'1,23' is not a number"),
        ("12abc", "'12abc' is not a number"),
        ("١٢", "'١٢' is not a number"),
        ("0x10", "'0x10' is not a number"),
        (float("nan"), "nan is not a finite number"),
        (float("-inf"), "-inf is not a finite number"),
        ("NaN", "'NaN' is not a finite number"),
        ("Infinity", "'Infinity' is not a finite number"),
        ("-inf", "'-inf' is not a finite number"),
        (1e15, "1000000000000000.0 is out of range"),
        (10**15, "1000000000000000 is out of range"),
        (10**400, "is out of range"),
        ("1e16", "'1e16' is out of range"),
        ("1e999999999", "'1e999999999' is out of range"),
        ([1], "is a list"),
    ],
)
def test_numeric_rejects(value: Any, problem: str) -> None:
    reason = rejected({"lifetime_value": value})
    assert reason.startswith("lifetime_value: ")
    assert problem in reason


def test_rejection_names_source_and_target_when_they_differ() -> None:
    reason = rejected({"ltv": "abc"}, explicit=[("ltv", "f1002")])
    assert reason == "field f1002 (Lifetime Value) from source 'ltv': 'abc' is not a number"


def test_number_precision_is_kept() -> None:
    assert mapped({"lifetime_value": "123456789012345.123456789"})["f1002"] == "123456789012345.123456789"
    assert mapped({"lifetime_value": 0.30000000000000004})["f1002"] == "0.30000000000000004"


# coercion: check --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (True, "1"),
        (False, "0"),
        (1, "1"),
        (0, "0"),
        (1.0, "1"),
        ("1", "1"),
        ("0", "0"),
        ("true", "1"),
        ("FALSE", "0"),
        (" Yes ", "1"),
        ("no", "0"),
        ("y", "1"),
        ("N", "0"),
        ("on", "1"),
        ("Off", "0"),
    ],
)
def test_check_values(value: Any, wire: str) -> None:
    assert mapped({"vip": value})["f1005"] == wire


@pytest.mark.parametrize("value", ["maybe", 2, -1, 0.5, "2", ["yes"], float("nan")])
def test_check_rejects(value: Any) -> None:
    reason = rejected({"vip": value})
    assert reason.startswith("vip: ")
    assert "yes/no value" in reason or "holds one value" in reason


# coercion: dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("2024-05-31", utc(2024, 5, 31)),
        ("2024-05-31T10:20:30", utc(2024, 5, 31, 10, 20, 30)),
        ("2024-05-31T10:20:30Z", utc(2024, 5, 31, 10, 20, 30)),
        ("2024-05-31t10:20:30z", utc(2024, 5, 31, 10, 20, 30)),
        ("2024-05-31T10:20:30.999Z", utc(2024, 5, 31, 10, 20, 30)),
        ("2024-05-31T12:20:30+02:00", utc(2024, 5, 31, 10, 20, 30)),
        ("2024-05-31 10:20", utc(2024, 5, 31, 10, 20)),
        ("2024/05/31", utc(2024, 5, 31)),
        ("2024/5/3", utc(2024, 5, 3)),
        ("05/31/2024", utc(2024, 5, 31)),
        ("5/3/2024", utc(2024, 5, 3)),
        ("31.05.2024", utc(2024, 5, 31)),
        ("May 31, 2024", utc(2024, 5, 31)),
        ("Sept 3 2024", utc(2024, 9, 3)),
        ("december 1st, 2024", utc(2024, 12, 1)),
        ("31 May 2024", utc(2024, 5, 31)),
        ("3 Jan. 2024", utc(2024, 1, 3)),
        ("Fri, 31 May 2024 10:20:30 +0000", utc(2024, 5, 31, 10, 20, 30)),
        ("Fri, 31 May 2024 12:20:30 +0200", utc(2024, 5, 31, 10, 20, 30)),
        (1717113600, utc(2024, 5, 31)),
        (1717113600.9, utc(2024, 5, 31)),
        (1717113600123, utc(2024, 5, 31)),
        ("1717113600", utc(2024, 5, 31)),
        ("1717113600123", utc(2024, 5, 31)),
        (0, "0"),
        (-86400, "-86400"),
        ("1900-01-01", utc(1900, 1, 1)),
        ("2100-12-31T23:59:59Z", utc(2100, 12, 31, 23, 59, 59)),
    ],
)
def test_date_values(value: Any, wire: str) -> None:
    """A date-and-time field keeps the moment; a date-only field (fulldate) keeps its UTC day."""
    assert make_mapper(catalog=TIMESTAMP_CATALOG).map({"email": EMAIL, "renewed": value})["f7"] == wire
    day = str(int(wire) - int(wire) % 86_400)
    assert mapped({"signup_date": value})["f1006"] == day
    assert mapped({"birthday": value})["birthday"] == day


TIMESTAMP_CATALOG = FieldCatalog.from_meta(
    {"email": {"alias": "Email", "type": "email"}, "f7": {"alias": "Renewed", "type": "timestamp"}}
)


def test_timestamp_type_fields_take_dates() -> None:
    catalog = TIMESTAMP_CATALOG
    assert make_mapper(catalog=catalog).map({"email": EMAIL, "renewed": "2024-05-31"})["f7"] == utc(
        2024, 5, 31
    )


@pytest.mark.parametrize(
    "value",
    [
        "tomorrow-ish",
        "2024-02-30",
        "2023-02-29",
        "31/05/2024",
        "13/13/2024",
        "32.01.2024",
        "Smarch 3, 2024",
        "Feb 30, 2024",
        "yesterday",
        "2024-05",
        "Jan",
        "31 Feb 2024 10:00",
        True,
        False,
    ],
)
def test_date_rejects(value: Any) -> None:
    reason = rejected({"signup_date": value})
    assert (
        reason
        == f"signup_date: {quote(value)} is not a date Ontraport understands (use ISO 8601, e.g. 2024-05-31)"
    )


def test_date_rejection_message() -> None:
    assert rejected({"signup_date": "tomorrow-ish"}) == (
        "signup_date: 'tomorrow-ish' is not a date Ontraport understands (use ISO 8601, e.g. 2024-05-31)"
    )


@pytest.mark.parametrize(
    "value",
    [
        "1899-12-31",
        "2101-01-01",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "01/01/1850",
        -2208988801,
        10**11,  # still seconds (only above 1e11 is milliseconds): the year 5138
        10**30,
        -(10**30),
        1e300,
        "1e300",
        "99999999999999999999999999",
    ],
)
def test_dates_out_of_range(value: Any) -> None:
    assert "is out of range (Ontraport dates must fall between 1900 and 2100)" in rejected(
        {"signup_date": value}
    )


@pytest.mark.parametrize(("value", "problem"), [(float("nan"), "not a finite number"), ([1], "is a list")])
def test_date_rejects_non_finite_and_lists(value: Any, problem: str) -> None:
    assert problem in rejected({"signup_date": value})


# coercion: drop-down ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        ("Pro", "2"),
        ("pro", "2"),
        ("  ENTERPRISE ", "3"),
        ("1", "1"),
        (3, "3"),
        (2.0, "2"),
    ],
)
def test_drop_values(value: Any, wire: str) -> None:
    assert mapped({"plan": value})["f1003"] == wire


def test_drop_standard_priority() -> None:
    assert mapped({"priority": "high"})["priority"] == "8"
    assert mapped({"priority": 10})["priority"] == "10"


@pytest.mark.parametrize("value", ["Platinum", 4, "0", True, ["Pro"], 2.5])
def test_drop_rejects(value: Any) -> None:
    reason = rejected({"plan": value})
    assert reason.startswith("plan: ")
    assert "options: Free, Pro, Enterprise" in reason or "holds one value" in reason


def test_drop_rejection_lists_at_most_ten_labels() -> None:
    catalog = FieldCatalog.from_meta(
        {
            "email": {"alias": "Email", "type": "email"},
            "f5": {"alias": "Size", "type": "drop", "options": {str(i): f"S{i}" for i in range(15)}},
        }
    )
    with pytest.raises(RecordRejected) as caught:
        make_mapper(catalog=catalog).map({"email": EMAIL, "size": "XL"})
    assert caught.value.reason == (
        "size: 'XL' is not an option of this drop-down "
        "(options: S0, S1, S2, S3, S4, S5, S6, S7, S8, S9, … (5 more))"
    )


def test_drop_without_options_in_meta_takes_only_ids() -> None:
    catalog = FieldCatalog.from_meta(
        {"email": {"alias": "Email", "type": "email"}, "f5": {"alias": "Stage", "type": "drop"}}
    )
    mapper = make_mapper(catalog=catalog)
    assert mapper.map({"email": EMAIL, "stage": " 12 "})["f5"] == "12"
    with pytest.raises(RecordRejected, match="lists no options"):
        mapper.map({"email": EMAIL, "stage": "Won"})


# coercion: list ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (["Sports", "Travel"], "*/*1*/*3*/*"),
        (["travel", " SPORTS "], "*/*3*/*1*/*"),
        (["Music", "music", "2"], "*/*2*/*"),
        ([1, "3"], "*/*1*/*3*/*"),
        ("Sports, Music", "*/*1*/*2*/*"),
        ("music", "*/*2*/*"),
        ("*/*3*/*1*/*", "*/*3*/*1*/*"),
        ([], ""),
        ("", ""),
        ([None, "", "Music"], "*/*2*/*"),
        (2, "*/*2*/*"),
    ],
)
def test_list_values(value: Any, wire: str) -> None:
    assert mapped({"interests": value})["f1004"] == wire


def test_list_label_containing_a_comma() -> None:
    catalog = FieldCatalog.from_meta(
        {
            "email": {"alias": "Email", "type": "email"},
            "f6": {"alias": "Tags", "type": "list", "options": {"1": "Rock, Pop", "2": "Jazz"}},
        }
    )
    mapper = make_mapper(catalog=catalog)
    assert mapper.map({"email": EMAIL, "tags": "rock, pop"})["f6"] == "*/*1*/*"
    assert mapper.map({"email": EMAIL, "tags": ["Jazz", "Rock, Pop"]})["f6"] == "*/*2*/*1*/*"


@pytest.mark.parametrize(
    ("value", "bad_item"),
    [
        (["Sports", "Chess"], "'Chess'"),
        ("Sports, Chess", "'Chess'"),
        ([["Sports"]], "a list"),
        ([{"label": "Sports"}], "an object"),
        ([True], "true"),
        (7, "7"),
    ],
)
def test_list_rejects_unknown_items(value: Any, bad_item: str) -> None:
    reason = rejected({"interests": value})
    assert reason.startswith(f"interests: {bad_item} (in ")
    assert reason.endswith("is not an option of this list field (options: Sports, Music, Travel)")


@pytest.mark.parametrize("target", ["f1004", "f1002", "f1003", "f1005", "f1006", "email", "company"])
def test_an_explicitly_mapped_object_is_rejected_for_every_type(target: str) -> None:
    reason = rejected({"src": {"a": "Sports"}}, explicit=[("src", target)])
    assert "from source 'src': is an object" in reason


def test_an_object_at_an_automatically_matched_name_is_walked_not_rejected() -> None:
    mapper = make_mapper()
    out = mapper.map({"email": EMAIL, "company": {"name": "Acme", "city": "Paris"}, "vip": {"since": 2020}})
    assert out == {"email": EMAIL, "company": "Acme", "city": "Paris"}  # company.name: synonym companyname
    assert mapper.unmapped_paths == {"vip.since"}


# the match field --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "record", [{}, {"email": None}, {"email": ""}, {"email": "   "}, {"first_name": "A"}]
)
def test_no_value_for_the_match_field(record: dict[str, Any]) -> None:
    with pytest.raises(RecordRejected) as caught:
        make_mapper().map(record)
    assert caught.value.reason == "no value for the match field email (source field(s) looked at: email)"


def test_no_value_names_the_path_that_was_seen() -> None:
    with pytest.raises(RecordRejected) as caught:
        make_mapper().map({"contact": {"email": None}})
    assert (
        caught.value.reason == "no value for the match field email (source field(s) looked at: contact.email)"
    )


def test_no_value_for_an_explicitly_mapped_custom_match_field() -> None:
    mapper = make_mapper(match="External ID", explicit=[("crm.id", "External ID")])
    with pytest.raises(RecordRejected) as caught:
        mapper.map({"email": EMAIL})
    assert caught.value.reason == (
        "no value for the match field External ID (f1001) (source field(s) looked at: crm.id)"
    )


def test_no_value_for_an_automatic_custom_match_field_lists_name_and_alias() -> None:
    with pytest.raises(RecordRejected, match=r"looked at: f1001, External ID\)"):
        make_mapper(match="f1001").map({"email": EMAIL})


def test_invalid_match_email_is_rejected() -> None:
    with pytest.raises(RecordRejected, match="is not a valid email address"):
        make_mapper().map({"email": "nope"})


def test_custom_match_field() -> None:
    mapper = make_mapper(match="External ID")
    fields = mapper.map({"external_id": "  AbC-1 ", "email": "X@Y.CO"})
    assert fields == {"f1001": "AbC-1", "email": "X@Y.CO"}
    assert key_normaliser(field("f1001"))(fields["f1001"]) == "AbC-1"
    assert mapper.match_field == field("f1001")


def test_match_key_for_email_is_trimmed_and_lower_cased() -> None:
    assert key_normaliser(field("email"))(" Ann@Example.COM ") == "ann@example.com"


def test_numeric_match_field() -> None:
    catalog = FieldCatalog.from_meta({"f1": {"alias": "Customer Number", "type": "numeric"}})
    mapper = make_mapper(match="f1", catalog=catalog)
    assert mapper.map({"customer_number": 12.0}) == {"f1": "12"}
    with pytest.raises(RecordRejected, match="no value for the match field"):
        mapper.map({"customer_number": ""})


# rejection messages -----------------------------------------------------------------------------


def test_long_values_are_quoted_to_80_characters() -> None:
    reason = rejected({"lifetime_value": "9" * 30 + "x" * 200})
    quoted = "'" + "9" * 30 + "x" * 50 + "…'"
    assert reason == f"lifetime_value: {quoted} is not a number"


def test_long_source_paths_are_shortened_in_messages() -> None:
    path = "p" * 100
    reason = rejected({path: "abc"}, explicit=[(path, "f1002")])
    assert reason.startswith(f"field f1002 (Lifetime Value) from source '{'p' * 80}…': ")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("abc", "'abc'"),
        ("a'b", '"a\'b"'),
        ("x" * 81, "'" + "x" * 80 + "…'"),
        ("tab\there", "'tab\\there'"),
        (None, "null"),
        (True, "true"),
        (12, "12"),
        (1.5, "1.5"),
        (10**500, "an integer of about 501 digits"),
        ([1, 2], "a list"),
        ({"a": 1}, "an object"),
    ],
)
def test_quote(value: Any, text: str) -> None:
    assert quote(value) == text


# values_equal -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ours", "theirs", "equal"),
    [
        ("firstname", "Ann", "Ann", True),
        ("firstname", "Ann", "ann", False),
        ("firstname", "Ann", "Ann ", False),
        ("firstname", "", None, True),
        ("firstname", "", "", True),
        ("firstname", "Ann", None, False),
        ("firstname", "5", 5, True),
        ("firstname", "5", 5.0, True),
        ("email", "ann@example.com", "Ann@Example.com", True),
        ("email", "ann@example.com", "bob@example.com", False),
        ("email", "", None, True),
        ("f1002", "10", "10.00", True),
        ("f1002", "10", 10, True),
        ("f1002", "10", 10.0, True),
        ("f1002", "10.5", "10.50", True),
        ("f1002", "10", "11", False),
        ("f1002", "0", "", False),
        ("f1002", "0", None, False),
        ("f1002", "10", "abc", False),
        ("spent", "3.5", "3.50", True),
        ("f1005", "1", "1", True),
        ("f1005", "1", 1, True),
        ("f1005", "1", True, True),
        ("f1005", "0", "", True),
        ("f1005", "0", None, True),
        ("f1005", "1", "0", False),
        ("f1005", "1", None, False),
        ("f1003", "2", "2", True),
        ("f1003", "2", 2, True),
        ("f1003", "2", "3", False),
        ("f1004", "*/*1*/*3*/*", "*/*3*/*1*/*", True),
        ("f1004", "*/*1*/*3*/*", "*/*1*/*", False),
        ("f1004", "", None, True),
        ("f1004", "", "", True),
        ("f1004", "*/*1*/*", ["1"], True),
        ("f1004", "*/*1*/*2*/*", "1,2", True),
        ("f1006", "1717113600", "1717113600", True),
        ("f1006", "1717113600", 1717113600, True),
        ("f1006", "1717113600", "1717113601", True),  # date-only: the same day
        ("f1006", "1717113600", str(1717113600 + 7 * 3600), True),  # midnight in UTC-7
        ("f1006", "1717113600", str(1717113600 - 10 * 3600), True),  # midnight in UTC+10
        ("f1006", "1717113600", str(1717113600 - 13 * 3600), True),  # midnight in UTC+13
        ("f1006", "1717113600", str(1717113600 + 86_400), False),  # the next day
        ("f1006", "1717113600", str(1717113600 - 86_400), False),  # the day before
        ("f1006", "1717113600", str(1717113600 + 86_400 - 13 * 3600), False),  # next day, UTC+13
        ("f1006", "1717113600", str(1717113600 - 86_400 + 10 * 3600), False),  # day before, UTC-10
        ("f1006", "1717113600", "", False),
        ("f1006", "0", None, True),
        ("f1006", "0", "0", True),
        ("f1006", "1717113600", None, False),
    ],
)
def test_values_equal(name: str, ours: str, theirs: Any, equal: bool) -> None:
    assert values_equal(field(name), ours, theirs) is equal
