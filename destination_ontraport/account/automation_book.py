"""The account's campaigns and sequences by name: read once per kind, resolved trimmed and ignoring case.

Campaigns come from `GET /CampaignBuilderItems` (deleted ones left out: Ontraport ignores a
subscription to them), sequences from `GET /objects?objectID=5`, keyed by `drip_id` (§13 A4; `id`
where a row has no `drip_id`). Each kind is read on first use, so a sync that names no campaign
spends no request on them. A name is the list whose name equals it once both are trimmed and
compared ignoring case; two lists with that name are never guessed between: the message names both
ids. A name the account does not have is named with the nearest names the account has.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from destination_ontraport.model.automations import ListKind, ListRef
from destination_ontraport.model.problems import ConfigProblem, RecordRejected
from destination_ontraport.model.text import excerpt
from destination_ontraport.ontraport.client import OntraportClient

NEAREST = 3
LISTED_WHEN_NONE_NEAR = 10


@dataclass(frozen=True)
class Resolution:
    """Names -> list ids, and what could not be resolved (each with a sentence saying why)."""

    found: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


class AutomationBook:
    """Thread-safe; reads each kind's lists at most once per sync."""

    def __init__(self, client: OntraportClient) -> None:
        self._client = client
        self._lists: dict[ListKind, dict[str, list[tuple[str, str]]]] = {}  # folded name -> [(id, name)]
        self._lock = threading.Lock()

    def names(self, kind: ListKind) -> dict[str, list[tuple[str, str]]]:
        with self._lock:
            if kind not in self._lists:
                self._lists[kind] = _by_folded_name(kind, self._client.automation_lists(kind))
            return self._lists[kind]

    def resolve(self, kind: ListKind, names: Iterable[str]) -> Resolution:
        by_name = self.names(kind)
        found: dict[str, str] = {}
        problems: list[str] = []
        for name in dict.fromkeys(n.strip() for n in names if n.strip()):
            matches = by_name.get(name.casefold(), [])
            if len(matches) == 1:
                found[name] = matches[0][0]
            elif matches:
                ids = " and ".join(f"{list_id} ({excerpt(listed, 60)!r})" for list_id, listed in matches)
                problems.append(
                    f"Ontraport has more than one {kind.value} named {excerpt(name, 60)!r} (ids {ids}); "
                    f"rename one of them in Ontraport so that the name says which {kind.value} is meant"
                )
            else:
                problems.append(_unknown(kind, name, by_name))
        return Resolution(found, problems)

    def configured(self, kind: ListKind, names: Sequence[str], option: str) -> tuple[frozenset[ListRef], str]:
        """The config's names (`option`) -> (the lists they name, a sentence naming each name that
        names no single list, or "")."""
        if not names:
            return frozenset(), ""
        resolution = self.resolve(kind, names)
        refs = frozenset((kind, list_id) for list_id in resolution.found.values())
        return refs, f"{option}: " + "; ".join(resolution.problems) if resolution.problems else ""

    def for_record(self, kind: ListKind, names: Sequence[str], prop: str) -> frozenset[ListRef]:
        """A record's names (`prop`): one that names no single list rejects the record."""
        if not names:
            return frozenset()
        resolution = self.resolve(kind, names)
        if resolution.problems:
            raise RecordRejected(f"{prop}: " + "; ".join(resolution.problems))
        return frozenset((kind, list_id) for list_id in resolution.found.values())


def require_configured(
    book: AutomationBook, campaigns: Sequence[str], sequences: Sequence[str]
) -> frozenset[ListRef]:
    """The config's `campaigns` and `sequences`, resolved (`check` and the start of `write`); a name
    the account does not have fails with the nearest names it has, every such name in one message.
    One read per kind named."""
    found: frozenset[ListRef] = frozenset()
    problems: list[str] = []
    for kind, names, option in (
        (ListKind.CAMPAIGN, campaigns, "campaigns"),
        (ListKind.SEQUENCE, sequences, "sequences"),
    ):
        refs, problem = book.configured(kind, names, option)
        found |= refs
        problems += [problem] if problem else []
    if problems:
        raise ConfigProblem(". ".join(problems) + ".")
    return found


def _by_folded_name(kind: ListKind, rows: Sequence[dict[str, object]]) -> dict[str, list[tuple[str, str]]]:
    found: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        raw_id = row.get("drip_id") if kind is ListKind.SEQUENCE else row.get("id")
        if raw_id in (None, ""):
            raw_id = row.get("id")
        name = row.get("name")
        if raw_id in (None, "") or not isinstance(name, str) or str(row.get("deleted", "0")) == "1":
            continue
        found.setdefault(name.strip().casefold(), []).append((str(raw_id), name.strip()))
    return found


def _unknown(kind: ListKind, name: str, by_name: dict[str, list[tuple[str, str]]]) -> str:
    listed = [entry[1] for entries in by_name.values() for entry in entries]
    if not listed:
        return f"Ontraport has no {kind.value} named {excerpt(name, 60)!r} (the account has no {kind.plural})"
    near = difflib.get_close_matches(name.casefold(), list(by_name), n=NEAREST, cutoff=0.5)
    if near:
        shown = ", ".join(repr(excerpt(entry[1], 60)) for folded in near for entry in by_name[folded])
        return f"Ontraport has no {kind.value} named {excerpt(name, 60)!r}; the nearest it has: {shown}"
    shown = ", ".join(repr(excerpt(n, 60)) for n in sorted(listed)[:LISTED_WHEN_NONE_NEAR])
    more = f" and {len(listed) - LISTED_WHEN_NONE_NEAR} more" if len(listed) > LISTED_WHEN_NONE_NEAR else ""
    return f"Ontraport has no {kind.value} named {excerpt(name, 60)!r}; its {kind.plural}: {shown}{more}"


__all__ = ["AutomationBook", "Resolution", "require_configured"]
