"""Tags a record names (`Add Tags` / `Remove Tags`): a tag to add is created when missing, a tag only
to remove is looked up and never created (creating it to remove it leaves it in the account)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import requests_mock

from destination_ontraport.account.tag_book import TagBook
from destination_ontraport.ontraport.client import OntraportClient
from destination_ontraport.sync.report import SyncReport
from destination_ontraport.write.batch import MappedRecord
from destination_ontraport.write.object_writer import ObjectWriter
from destination_ontraport.write.settings import WriterSettings
from unit_tests.fakes import BASE, CountedWriter, envelope
from unit_tests.test_object_writer import CONTACTS, EMAIL, FakeClient


def test_the_tag_book_never_creates_a_tag_it_is_asked_to_find_for_a_removal(client: OntraportClient) -> None:
    with requests_mock.Mocker() as mock:
        mock.get(f"{BASE}/Tags", **envelope([]))
        mock.post(f"{BASE}/Tags", **envelope({"tag_id": "41"}))
        book = TagBook(client)
        assert book.ids_by_name(["NeverExisted"], 0, create=False) == {}
        assert book.ids_by_name(["NeverExisted"], 0, create=False) == {}
        assert [r.method for r in mock.request_history] == ["GET"], "looked up once, never created"
        assert book.ids_by_name(["NeverExisted"], 0) == {"NeverExisted": "41"}, "a tag to add is created"
        assert book.ids_by_name(["NeverExisted"], 0, create=False) == {"NeverExisted": "41"}
        assert [r.method for r in mock.request_history] == ["GET", "POST"]


def counted(writer: ObjectWriter) -> CountedWriter:
    return CountedWriter(writer, SyncReport())


class TagNames:
    """The writer's view of the tag book: which names it asks for, and whether it may create them."""

    def __init__(self, existing: Mapping[str, str]) -> None:
        self.existing = dict(existing)
        self.asked: list[tuple[list[str], bool]] = []

    def __call__(
        self, names: Sequence[str], object_type_id: int, *, create: bool = True
    ) -> Mapping[str, str]:
        self.asked.append((list(names), create))
        if create:
            for name in names:
                self.existing.setdefault(name, str(100 + len(self.existing)))
        return {name: self.existing[name] for name in names if name in self.existing}


def test_remove_tags_naming_a_tag_that_does_not_exist_creates_nothing_and_sends_no_untag() -> None:
    fake = FakeClient()
    fake.add(email="a@x.io", contact_cat="*/*5*/*")
    names = TagNames({"Old": "5"})
    writer = counted(
        ObjectWriter(fake, WriterSettings(CONTACTS, EMAIL), tag_ids_by_name=names, pause=lambda _: None)
    )
    writer.add(
        MappedRecord("a@x.io", {"email": "a@x.io"}, 1, "s", tags={"NeverExisted": False, "Old": False})
    )
    writer.add(MappedRecord("b@x.io", {"email": "b@x.io"}, 2, "s", tags={"New": True}))
    writer.flush()
    assert names.asked == [(["New"], True), (["NeverExisted", "Old"], False)]
    assert "NeverExisted" not in names.existing
    assert fake.contacts["1"]["contact_cat"] == "", "Old came off"
    assert [c for c in fake.calls if c[0] == "remove_tags"] == [("remove_tags", ["1"])]


def test_a_tag_added_by_one_record_and_removed_by_another_is_created_for_the_one_that_adds_it() -> None:
    fake = FakeClient()
    names = TagNames({})
    writer = counted(
        ObjectWriter(fake, WriterSettings(CONTACTS, EMAIL), tag_ids_by_name=names, pause=lambda _: None)
    )
    writer.add(MappedRecord("a@x.io", {"email": "a@x.io"}, 1, "s", tags={"VIP": True}))
    writer.add(MappedRecord("b@x.io", {"email": "b@x.io"}, 2, "s", tags={"VIP": False}))
    writer.flush()
    assert names.asked == [(["VIP"], True)]
    assert fake.contacts["1"]["contact_cat"] == "*/*100*/*" and fake.contacts["2"]["contact_cat"] == ""
