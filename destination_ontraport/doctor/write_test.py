"""`doctor --write-test`: one test contact, created, updated, tagged, untagged and deleted by id.

Nothing else in the account is touched: every write names the test contact's id (the create names
nobody; the tag `Airbyte doctor` is created if missing and stays, with no contact, so that another
run finds it). The contact count is read before and after each step, as the removal tripwire does:
a step that changed the count by more than it asked for is reported (an ALERT for the delete). The
delete is the single `DELETE /Contact?id=`, and only after a read shows the contact is still ours.

What it learns on the way, that no read of an account can show: how a date-only value is kept, and
whether a DELETE's form body is read (observed on the test contact's own tag, the query naming the
contact, so that a server dropping the body acts on that contact or on none); and, on an account
with no contact to read, what the read probes could not learn.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from destination_ontraport.account.tag_book import TagBook
from destination_ontraport.doctor.calls import DoctorCalls
from destination_ontraport.doctor.reads import (
    MEMBERSHIP_FIELDS,
    case_variant,
    memberships_variant,
    tag_case_of,
)
from destination_ontraport.doctor.variants import (
    CONDITION_WITHOUT_IDS,
    CONTACT_CAT,
    DATE_ONLY_ZONE,
    DELETE_FORM_BODY,
    MEMBERSHIPS,
    NOT_FOUND_STATUS,
    NOT_FOUND_STATUS_UPDATE,
    TAG_NAME_CASE,
    TEXT_CASE,
    Variant,
)
from destination_ontraport.model.mapping import FieldCatalog
from destination_ontraport.model.objects import CONTACT_OBJECT_ID, CONTACT_ROUTES
from destination_ontraport.model.problems import ConfigProblem
from destination_ontraport.model.system_fields import TAG_FIELD
from destination_ontraport.ontraport.errors import AmbiguousWriteError, NotFoundError, OntraportError

TEST_TAG = "Airbyte doctor"
TEST_DOMAIN = "example.invalid"  # reserved (RFC 2606): no mail to it can reach anyone
TEST_DAY = int(datetime(2001, 2, 3, tzinfo=UTC).timestamp())  # 00:00 UTC, as the connector sends a date
PREFERRED_DATE_FIELDS = ("birthday",)
WAIT_SECONDS = (0.0, 1.0, 2.0, 3.0, 4.0)
"""Tagging is asynchronous on Ontraport ("The tag is now being processed."): a tag change is read
back up to five times, about ten seconds in all, before the doctor concludes it did not happen."""


@dataclass(frozen=True)
class Step:
    """One write and the contact count around it (`expected` is the change the write asked for)."""

    name: str
    expected: int
    change: int | None  # None: a count could not be read

    @property
    def as_asked(self) -> bool:
        return self.change == self.expected

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.name, "count_change": self.change, "expected": self.expected}


@dataclass
class WriteTestResult:
    steps: list[Step] = field(default_factory=list)
    variants: dict[str, Variant] = field(default_factory=dict)
    problem: str = ""  # why the test stopped early ("" when it ran to the end)
    cleaned_up: bool = True  # False: the test contact may still be in the account

    @property
    def alerts(self) -> list[str]:
        """Steps that changed the count by more than they asked for, the delete above all."""
        return [
            f"{step.name}: the contact count changed by {step.change}, {step.expected} was asked"
            for step in self.steps
            if step.change is not None and not step.as_asked
        ]


class WriteTest:
    """Sequential, one account, one test contact. `sleep` is the one seam tests replace."""

    def __init__(
        self, calls: DoctorCalls, fields: FieldCatalog, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._calls = calls
        self._client = calls.client
        self._fields = fields
        self._sleep = sleep
        self._email = f"airbyte-doctor-{uuid.uuid4().hex[:12]}@{TEST_DOMAIN}"
        self._id: str | None = None
        self.result = WriteTestResult()

    def run(self, known: dict[str, Variant]) -> WriteTestResult:
        """`known`: the variants the reads learned; the test fills in the ones they could not."""
        try:
            self._create()
            self._learn_read_path(known)
            self._update()
            tag_id = self._tag(known)
            self._untag(tag_id)
        except (OntraportError, ConfigProblem) as exc:
            self.result.problem = f"{exc}"
        finally:
            if self._id is not None:
                self._delete()
        return self.result

    # --- the steps ---------------------------------------------------------------------------------
    def _counted(self, name: str, expected: int, write: Callable[[], None]) -> None:
        before = self._count()
        write()
        after = self._count()
        change = None if before is None or after is None else after - before
        self.result.steps.append(Step(name, expected, change))

    def _count(self) -> int | None:
        try:
            return self._client.count(CONTACT_ROUTES)
        except OntraportError:
            return None

    def _create(self) -> None:
        fields = {"email": self._email, "firstname": "Airbyte", "lastname": "Doctor"}

        def create() -> None:
            try:
                self._id = self._client.create(CONTACT_ROUTES, fields)
            except AmbiguousWriteError:  # the answer was lost: find what it made, if anything
                rows = self._client.find(CONTACT_ROUTES, "email", [self._email], ["id", "email"])
                self._id = next((str(row["id"]) for row in rows if row.get("email") == self._email), None)
                if self._id is None:
                    raise

        self._counted("create", 1, create)

    def _learn_read_path(self, known: dict[str, Variant]) -> None:
        """On the test contact: what the reads could not learn without a contact to read."""
        assert self._id is not None
        if not known[TEXT_CASE].known or not known[CONDITION_WITHOUT_IDS].known:
            swapped = self._email.swapcase()
            found = bool(self._client.find(CONTACT_ROUTES, "email", [swapped], ["id"]))
            if not found:
                exact = self._client.find(CONTACT_ROUTES, "email", [self._email], ["id"])
                if not exact:
                    return  # a lookup found nothing either way: nothing is learned
            self._set(case_variant(TEXT_CASE, found, "a lookup of the test contact's email"))
            needs = self._client.condition_needs_ids_zero
            how = "a lookup of the test contact " + ("needed ids=0" if needs else "needed no ids=0")
            self._set(Variant(CONDITION_WITHOUT_IDS, "nothing" if needs else "selects", how))

    def _update(self) -> None:
        assert self._id is not None
        record_id = self._id
        date_field = self._date_field()
        fields = {"firstname": "Airbyte (updated)"}
        if date_field:
            fields[date_field] = str(TEST_DAY)
        self._counted("update", 0, lambda: self._client.update(CONTACT_ROUTES, record_id, fields))
        if not date_field:
            self._set(Variant(DATE_ONLY_ZONE, "unknown: no date-only contact field", ""))
            return
        stored = str(self._calls.contact(record_id).get(date_field) or "").strip()
        self._set(date_zone(date_field, stored))

    def _date_field(self) -> str | None:
        dates = [info.name for info in self._fields if info.type == "fulldate" and info.editable]
        preferred = [name for name in PREFERRED_DATE_FIELDS if name in dates]
        return next(iter(preferred or dates), None)

    def _tag(self, known: dict[str, Variant]) -> str:
        assert self._id is not None
        record_id = self._id
        tag_id = TagBook(self._client).ids_by_name([TEST_TAG], CONTACT_OBJECT_ID)[TEST_TAG]
        self._counted("tag", 0, lambda: self._client.add_tags(CONTACT_ROUTES, [record_id], [tag_id]))
        if not self._wait_for(lambda: self._tagged(tag_id)):
            raise OntraportError(f"The tag {TEST_TAG!r} did not show on the test contact after about 10 s.")
        rows = self._calls.contacts_by_ids([record_id], ["id", TAG_FIELD, *MEMBERSHIP_FIELDS])
        if not known[CONTACT_CAT].known and rows:
            listed = TAG_FIELD in rows[0]
            how = (
                "a collection read of the test contact "
                + ("lists" if listed else "leaves out")
                + " contact_cat"
            )
            self._set(Variant(CONTACT_CAT, "returned" if listed else "never", how))
        if not known[MEMBERSHIPS].known:
            self._set(memberships_variant(rows, "collection reads of the test contact"))
        if not known[TAG_NAME_CASE].known:
            self._set(tag_case_of(self._calls, TEST_TAG))
        return tag_id

    def _untag(self, tag_id: str) -> None:
        """First with `remove_list` in a form body (the probe), then, if the tag is still on, in the
        query string as every DELETE of the connector is sent."""
        assert self._id is not None
        record_id = self._id
        answer: list[str] = []

        def probe() -> None:
            try:
                self._calls.untag_by_form_body(record_id, tag_id)
                answer.append(f"answered HTTP {self._calls.last_status}")
            except OntraportError as exc:
                answer.append(f"answered HTTP {exc.status}: {exc.body_excerpt[:60]}")

        self._counted("untag (form body)", 0, probe)
        read = self._wait_for(
            lambda: not self._tagged(tag_id), patient=not answer[0].startswith("answered HTTP 4")
        )
        how = f"DELETE /objects/tag with remove_list in a form body {answer[0]}; the tag " + (
            "came off" if read else "stayed on"
        )
        self._set(Variant(DELETE_FORM_BODY, "read" if read else "ignore", how))
        if not read:
            self._counted("untag", 0, lambda: self._client.remove_tags(CONTACT_ROUTES, [record_id], [tag_id]))
            if not self._wait_for(lambda: not self._tagged(tag_id)):
                raise OntraportError(f"The tag {TEST_TAG!r} stayed on the test contact after it was removed.")

    def _delete(self) -> None:
        """The test contact, only if a read shows it is still ours; then how the account answers
        its id (GET and PUT of an id that no longer exists)."""
        assert self._id is not None
        record_id = self._id
        try:
            if str(self._calls.contact(record_id).get("email") or "").casefold() != self._email.casefold():
                self.result.problem = self.result.problem or "the test contact's id holds another contact now"
                self.result.cleaned_up = False
                return
            self._counted("delete", -1, lambda: self._calls.delete_contact(record_id))
            self._id = None
            self._unknown_id_answers(record_id)
        except OntraportError as exc:
            self.result.cleaned_up = self._id is None
            self.result.problem = self.result.problem or f"{exc}"

    def _unknown_id_answers(self, record_id: str) -> None:
        """GET, then PUT, of the deleted contact's id: how the account answers an id it does not have.
        The PUT only once the GET said the contact is gone (a PUT to it would otherwise change it)."""
        gone = self._answers_not_found(NOT_FOUND_STATUS, lambda: self._calls.contact(record_id))
        if gone is False:
            self.result.cleaned_up = False
            self.result.problem = (
                self.result.problem or "the test contact could still be read after its delete"
            )
        if gone:
            self._answers_not_found(
                NOT_FOUND_STATUS_UPDATE,
                lambda: self._client.update(CONTACT_ROUTES, record_id, {"firstname": "x"}),
            )

    def _answers_not_found(self, name: str, send: Callable[[], object]) -> bool | None:
        """True: `Object not found` (the status is the variant); False: it answered; None: another error."""
        try:
            send()
        except NotFoundError:
            self._set(Variant(name, str(self._calls.last_status), "the deleted test contact's id"))
            return True
        except OntraportError as exc:
            self._set(Variant(name, f"unknown: HTTP {exc.status}", "the deleted test contact's id"))
            return None
        self._set(Variant(name, "unknown: the deleted test contact's id still answered", ""))
        return False

    # --- helpers -----------------------------------------------------------------------------------
    def _tagged(self, tag_id: str) -> bool:
        assert self._id is not None
        held = str(self._calls.contact(self._id).get(TAG_FIELD) or "")
        return tag_id in [part for part in held.split("*/*") if part]

    def _wait_for(self, done: Callable[[], bool], *, patient: bool = True) -> bool:
        for delay in WAIT_SECONDS if patient else WAIT_SECONDS[:1]:
            self._sleep(delay)
            if done():
                return True
        return False

    def _set(self, variant: Variant) -> None:
        self.result.variants[variant.name] = variant


def date_zone(field_name: str, stored: str) -> Variant:
    """00:00 UTC written, `stored` read back: kept as sent (utc), or moved to 00:00 at the account's
    whole-hour offset N, that is N hours earlier (the sandbox's `date_only_zone`)."""
    if not stored.lstrip("-").isdigit():
        return Variant(DATE_ONLY_ZONE, "unknown: the date did not come back as Unix seconds", "")
    shift = TEST_DAY - int(stored)
    how = f"{field_name} written as 00:00 UTC came back {abs(shift) // 3600} h " + (
        "earlier" if shift > 0 else "later"
    )
    if shift == 0:
        return Variant(DATE_ONLY_ZONE, "utc", f"{field_name} written as 00:00 UTC came back unchanged")
    if shift % 3600:
        return Variant(DATE_ONLY_ZONE, f"unknown: moved by {shift} s", how)
    return Variant(DATE_ONLY_ZONE, f"{shift // 3600:+d}", how)


__all__ = ["TEST_DOMAIN", "TEST_TAG", "Step", "WriteTest", "WriteTestResult", "date_zone"]
