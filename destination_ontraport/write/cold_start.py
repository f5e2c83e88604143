"""When a contact upsert by email stops looking contacts up, and when it starts again.

On an empty or mostly new account the bulk lookups find nothing: 1 request per 49 records that
saves nothing, since every one of those records is created anyway. `saveorupdate` merges by email
and says in its answer whether the contact existed (`attrs` for a merge), so once lookups keep
finding nothing the writer stops looking up and lets saveorupdate decide, and it goes back to lookups
as soon as an answer says a contact already existed (the executor then holds back the blind writes
not yet sent, and the writer looks those up: see `executor.ApiExecutor`).

What a skipped lookup would have given, and how each stays right:
- the diff (unchanged: no write; changed: only the changed fields): a blind write of a contact that
  existed sends every field; that costs a request and changes nothing wrong, and its answer sends the
  writer back to lookups;
- the tags a contact holds: a merged contact's are unknown, so it is tagged (and untagged) anyway, as
  when a read does not list `contact_cat`;
- the ids a full refresh must keep (`seen_ids`) and what later batches know (`known_records`): both
  come from the answer's id, as after a lookup;
- whether lookups need `ids=0`: still settled by looking up the first contact the sync creates;
- case: where the account may compare emails by case (not proven to ignore it), a lookup also tries
  the lower-cased email, which saveorupdate would not: a record whose email is not already in that
  form is always looked up;
- update-only records and removals need the record's id, and are always looked up.

Pure (no I/O, no threads): the writer tells it what lookups found and what answers said, and asks it
which records may go without a lookup; the dry run asks it the same questions to estimate the real
sync's requests.
"""

from __future__ import annotations

from collections.abc import Iterable

from destination_ontraport.ontraport.client import LOOKUP_VALUES
from destination_ontraport.write.batch import PendingRecord

COLD_EVIDENCE = 2 * LOOKUP_VALUES
"""Records looked up in a row, all found missing, before lookups stop: two full lookups' worth."""


class LookupSkipping:
    """`applies`: this writer creates by saveorupdate (a contact's email). `key_name`: the match
    field; `case_safe`: the account is proven to compare text ignoring case (else only records whose
    email is already trimmed and lower-cased may skip the lookup)."""

    def __init__(self, applies: bool, key_name: str, *, case_safe: bool = False) -> None:
        self._applies = applies
        self._key_name = key_name
        self._case_safe = case_safe
        self._missing_in_a_row = 0
        self.skipping = False

    def start_cold(self) -> None:
        """The account held no record of the type when the sync sampled it: nothing can be found."""
        self.skipping = self._applies

    def may_skip(self, pending: PendingRecord) -> bool:
        """Whether this record may be written without a lookup, now."""
        if not self.skipping or pending.remove or not pending.may_create:
            return False
        return self._case_safe or pending.fields.get(self._key_name) == pending.key

    def blind(self, missing: Iterable[PendingRecord]) -> set[str]:
        """The keys, among records no earlier batch told about, that go without a lookup."""
        return {pending.key for pending in missing if self.may_skip(pending)}

    def looked_up(self, records: int, found: int) -> None:
        """A lookup of `records` records found `found` of them: anything found means the account holds
        some of these contacts, so lookups pay; enough found missing in a row means they do not."""
        if not self._applies or records <= 0:
            return
        if found:
            self._missing_in_a_row = 0
            self.skipping = False
            return
        self._missing_in_a_row += records
        if self._missing_in_a_row >= COLD_EVIDENCE:
            self.skipping = True

    def merged(self) -> None:
        """An answer said a contact written without a lookup already existed: look up again."""
        self._missing_in_a_row = 0
        self.skipping = False


__all__ = ["COLD_EVIDENCE", "LookupSkipping"]
