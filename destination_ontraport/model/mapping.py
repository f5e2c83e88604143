"""Record -> contact fields, by the account's field metadata and the config.

A record is walked once: top-level keys first, then nested objects depth-first by dotted path
(`address.city`). Each path is routed once (explicit mapping, ignore, or automatic match by
normalised name/alias) and the route is cached, so a steady stream costs a few dict look-ups and
one coercion per value. Coercion by Ontraport field type lives in `coercion.py`.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from destination_ontraport.model.coercion import EMAIL_TYPES, Coercer, CoercionError, make_coercer, wire_equal
from destination_ontraport.model.problems import MappingConfigError, RecordRejected
from destination_ontraport.model.system_fields import SYSTEM_FIELDS, TAG_FIELD

# Airbyte's own columns in a record (`_airbyte_raw_id`, `_airbyte_extracted_at`, `_airbyte_meta`,
# `_airbyte_generation_id`, ...; sources' `_ab_source_file_url`, `_ab_cdc_lsn`, ...): never contact fields,
# so automatic mapping passes over them without naming them as unmapped. `_ab_cdc_deleted_at` is left
# out: it marks a deletion (see sync/streams.py), and is routed like any other column. An explicit mapping
# still reaches them.
AIRBYTE_COLUMN_PREFIXES = ("_airbyte_", "_ab_")
NOT_AIRBYTE_METADATA = frozenset({"_ab_cdc_deleted_at"})


def is_airbyte_column(key: str) -> bool:
    return key.startswith(AIRBYTE_COLUMN_PREFIXES) and key not in NOT_AIRBYTE_METADATA


# Common source column names for standard fields, used by automatic mapping only (keys normalised).
SYNONYMS: Mapping[str, str] = {
    "phone": "office_phone",
    "mobile": "sms_number",
    "mobilephone": "sms_number",
    "cell": "sms_number",
    "cellphone": "sms_number",
    "postalcode": "zip",
    "postcode": "zip",
    "zipcode": "zip",
    "companyname": "company",
    "organization": "company",
    "jobtitle": "title",
    "emailaddress": "email",
    "givenname": "firstname",
    "familyname": "lastname",
    "surname": "lastname",
}

MAX_CACHED_ROUTES = 20_000  # bounded memory for sources with data-dependent keys
TAGS_HINT = (
    " Tags per record come from a data-activation stream's `Add Tags` / `Remove Tags`; the `tags` "
    "option adds the same tags to every contact (docs/ontraport.md, 'Tags per record')."
)
MAX_UNMAPPED_LISTED = 1_000  # per stream: unmapped paths beyond these are not remembered (bounded memory)
MAX_DEPTH = 32  # deeper objects are not walked (their path is reported unmapped)
MAX_SUGGESTIONS = 5
MAX_PATH_IN_MESSAGE = 80
_SEEN = "\x00"  # `claimed` keys: a field name, or this + a field name for a path seen without a value


@dataclass(frozen=True)
class FieldInfo:
    name: str  # e.g. "firstname", "f1557"
    alias: str  # e.g. "First Name", "External ID"
    type: str  # Ontraport type: text, email, numeric, drop, list, check, fulldate, ...
    options: Mapping[str, str] = field(default_factory=dict)  # option id -> label (drop/list)
    editable: bool = True
    unique: bool = False  # the meta marks it unique: a key Ontraport can merge on
    required: bool = False  # the meta marks it required: a new record must have it (discover says so)
    parent_object: str | None = None  # a link (`parent`) field: the type id of the object it links to

    @property
    def label(self) -> str:
        """`External ID (f1001)`, or just `email` when the alias says nothing more than the name."""
        return self.name if normalise(self.alias) == normalise(self.name) else f"{self.alias} ({self.name})"


def _email_key(value: str) -> str:
    return value.strip().lower()


def _folded_key(value: str) -> str:
    return value.strip().casefold()


def key_normaliser(match_field: FieldInfo, ignores_case: bool | None = None) -> Callable[[str], str]:
    """How match values compare, the one rule for deduplication, a batch, the lookups and what a sync
    remembers: trimmed; an email ignoring case (Ontraport's emails are case-insensitive); any other
    key as the account compares text (`ignores_case`, learned by the read-path probe): ignoring case
    when it does, exactly when it does not or when that is not known (the writer then writes case
    variants of one key one after another, so that the account decides; see Batch). Chosen once,
    since it runs for every record and every looked-up row."""
    if match_field.type in EMAIL_TYPES:
        return _email_key
    return _folded_key if ignores_case else str.strip


def case_unsettled(match_field: FieldInfo | None, ignores_case: bool | None) -> bool:
    """Whether two values of this key that differ only in case may or may not be one record: the
    account's comparison is not known, and the key is text the account compares (not an email, which
    always ignores case, and not Ontraport's own numeric record id)."""
    return (
        ignores_case is None
        and match_field is not None
        and match_field.type not in EMAIL_TYPES
        and match_field.name != "id"
    )


def normalise(name: str) -> str:
    """Lower-case letters and digits only (unicode-aware): `First Name`, `first_name` -> `firstname`."""
    return "".join(char for char in name.lower() if char.isalnum())


def _flag(value: Any, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool | int | float):
        return bool(value)
    return str(value).strip().lower() not in {"0", "false", "no", "", "n"}


def _options(raw: Any) -> dict[str, str]:
    """Meta `options` leniently: {id: label}; a JSON list (a PHP array with keys 0..n, or of
    {"id"/"value", "label"/"name"} objects); anything else means no options."""
    options: dict[str, str] = {}
    if isinstance(raw, Mapping):
        items: Iterable[tuple[Any, Any]] = raw.items()
    elif isinstance(raw, list):
        items = enumerate(raw)
    else:
        return options
    for position, item in items:
        key, label = position, item
        if isinstance(item, Mapping):
            key = item.get("id", item.get("value", position))
            label = item.get("label", item.get("name", item.get("value")))
        if label is None or key is None:
            continue
        options[str(key).strip()] = str(label)
    return options


def _parent_object(raw: Any) -> str | None:
    """Meta `parent_object` (the linked type's id, a string in the SDK's fixture; .NET reads an int):
    the id as plain digits, or None when absent or no id (the fixture's custom-object side omits it)."""
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    return text if text.isascii() and text.isdigit() else None


class FieldCatalog:
    """The account's contact fields, indexed by normalised name and alias."""

    def __init__(self, fields: Iterable[FieldInfo]) -> None:
        self._fields: dict[str, FieldInfo] = {info.name: info for info in fields}
        self._index: dict[str, FieldInfo] = {}
        for info in self._fields.values():  # names first: a name wins over another field's alias
            self._index.setdefault(normalise(info.name), info)
        for info in self._fields.values():
            self._index.setdefault(normalise(info.alias), info)
        self._index.pop("", None)

    @classmethod
    def from_meta(cls, fields: Mapping[str, Mapping[str, Any]]) -> FieldCatalog:
        """From `GET /Contacts/meta` data["0"]["fields"] (flags are "0"/"1" strings)."""
        infos = []
        for name, meta in fields.items():
            if not isinstance(meta, Mapping):
                continue
            infos.append(
                FieldInfo(
                    name=str(name),
                    alias=str(meta.get("alias") or name),
                    type=str(meta.get("type") or "text").strip().lower(),
                    options=_options(meta.get("options")),
                    editable=_flag(meta.get("editable"), default=True),
                    unique=_flag(meta.get("unique"), default=False),
                    required=_flag(meta.get("required"), default=False),
                    parent_object=_parent_object(meta.get("parent_object")),
                )
            )
        return cls(infos)

    def get(self, name: str) -> FieldInfo | None:
        """The field with exactly this Ontraport name."""
        return self._fields.get(name)

    def resolve(self, name_or_alias: str) -> FieldInfo | None:
        return self._fields.get(name_or_alias) or self._index.get(normalise(name_or_alias))

    def lookup_normalised(self, key: str) -> FieldInfo | None:
        """By an already normalised name or alias (automatic mapping's hot path)."""
        return self._index.get(key)

    def require(self, name_or_alias: str, purpose: str) -> FieldInfo:
        """resolve() or raise MappingConfigError listing the nearest valid fields (names and aliases)."""
        found = self.resolve(name_or_alias)
        if found is not None:
            return found
        suggestion = self._suggest(name_or_alias)
        raise MappingConfigError(
            f'Ontraport has no contact field "{name_or_alias}" (used as {purpose}). {suggestion}'
        )

    def _suggest(self, wanted: str) -> str:
        by_text: dict[str, FieldInfo] = {}
        by_key: dict[str, FieldInfo] = {}
        for info in self._fields.values():
            for text in (info.name, info.alias):
                by_text.setdefault(text, info)
                by_key.setdefault(normalise(text), info)
        matches = [by_text[text] for text in difflib.get_close_matches(wanted, by_text, n=10)]
        matches += [by_key[key] for key in difflib.get_close_matches(normalise(wanted), by_key, n=10)]
        nearest = list({info.name: info for info in matches}.values())[:MAX_SUGGESTIONS]
        if nearest:
            return "Nearest fields: " + ", ".join(f"{info.alias} ({info.name})" for info in nearest)
        some = [f"{info.alias} ({info.name})" for info in list(self._fields.values())[:10]]
        more = len(self._fields) - len(some)
        return "No field has a similar name; the account's fields include: " + (
            ", ".join(some) + (f" and {more} more" if more > 0 else "") if some else "none"
        )

    def __iter__(self) -> Iterator[FieldInfo]:
        return iter(self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)


class _Target:
    __slots__ = ("coerce", "info", "name", "prefix")

    def __init__(self, info: FieldInfo, coerce: Coercer, path: str) -> None:
        self.info = info
        self.name = info.name
        self.coerce = coerce
        shown = path if len(path) <= MAX_PATH_IN_MESSAGE else path[:MAX_PATH_IN_MESSAGE] + "…"
        if normalise(path) in (normalise(info.name), normalise(info.alias)):
            self.prefix = f"{shown}: "
        else:
            self.prefix = f"field {info.name} ({info.alias}) from source {shown!r}: "


class _Route:
    """Where one source path goes: `targets` (explicit ones, or the automatic one), or nowhere."""

    __slots__ = ("ignored", "lost_to", "path", "reported", "targets", "whole")

    def __init__(
        self,
        path: str,
        targets: tuple[_Target, ...] = (),
        *,
        ignored: bool = False,
        whole: bool = False,
        lost_to: str | None = None,
    ) -> None:
        self.path = path
        self.targets = targets
        self.ignored = ignored
        self.whole = whole  # explicitly mapped: an object here is a value, not walked into
        self.lost_to = lost_to  # automatic match given up to an explicit mapping of that field
        self.reported = False


class RecordMapper:
    """Maps records of one stream. Automatic resolution is cached per source path for speed.

    Rules: explicit mappings (dotted source paths) win for their target fields; automatic mapping
    matches the normalised top-level key, or for a nested value its normalised full path and then
    its leaf name (SYNONYMS too), and never reaches SYSTEM_FIELDS or read-only fields. When two paths
    of one record reach the same field, the top-level/earlier one wins and the other is reported
    unmapped (see `conflicts`). The match field is matched automatically even with `auto_mapping`
    off, since the config names it. Without a match field (records keyed by Ontraport's own id,
    which the stream takes out before mapping) no field is required.
    """

    def __init__(
        self,
        catalog: FieldCatalog,
        match_field: FieldInfo | None,
        explicit: Sequence[tuple[str, str]] = (),
        auto_mapping: bool = True,
        ignore: Iterable[str] = (),
    ) -> None:
        if match_field is not None and not match_field.editable:
            raise MappingConfigError(
                f"The match field {match_field.alias} ({match_field.name}) is read-only in Ontraport, "
                "so contacts cannot be created with it; choose a writable unique field such as email."
            )
        self._catalog = catalog
        self._match = match_field
        self._auto = auto_mapping
        self._ignore = frozenset(path.strip() for path in ignore if path.strip())
        self._explicit: dict[str, list[FieldInfo]] = {}
        sources_of: dict[str, str] = {}
        for raw_source, target in explicit:
            source = raw_source.strip()
            if not source:
                raise MappingConfigError(f'A field mapping to "{target}" has an empty source path.')
            info = catalog.require(target, f"the target of the field mapping from '{source}'")
            if not info.editable or info.name in {"id", "unique_id"}:
                raise MappingConfigError(
                    f"Ontraport field {info.alias} ({info.name}) is read-only; the field mapping from "
                    f"'{source}' cannot write it.{TAGS_HINT if info.name == TAG_FIELD else ''}"
                )
            if self._ignored(source):
                raise MappingConfigError(f"Source field '{source}' is both mapped explicitly and ignored.")
            earlier = sources_of.setdefault(info.name, source)
            if earlier != source:
                raise MappingConfigError(
                    f"Ontraport field {info.alias} ({info.name}) is the target of two field mappings "
                    f"('{earlier}' and '{source}'); keep one."
                )
            targets = self._explicit.setdefault(source, [])
            if info not in targets:
                targets.append(info)
        self._explicit_source_of = sources_of
        self._coercers: dict[str, Coercer] = {}
        self._top_routes: dict[str, _Route] = {}
        self._nested_routes: dict[tuple[str, ...], _Route] = {}
        self._unmapped: set[str] = set()
        self._conflicts: dict[str, str] = {}
        self._unmapped_overflow = False
        self.records_mapped = 0
        self._explicit_found: set[str] = set()  # explicit sources seen in a record (few: bounded)
        self._displaced: dict[str, str] = {}  # field name -> a path automatic mapping gave up to it
        self._only_the_key = False  # see match_key_despite_errors

    # routing ------------------------------------------------------------------------------------

    def _ignored(self, path: str) -> bool:
        return any(path == ignored or path.startswith(ignored + ".") for ignored in self._ignore)

    def _maps_inside(self, path: str) -> bool:
        """Whether an explicit mapping reads a value nested in `path`."""
        return any(source.startswith(path + ".") for source in self._explicit)

    def _target(self, info: FieldInfo, path: str) -> _Target:
        coerce = self._coercers.get(info.name)
        if coerce is None:
            coerce = self._coercers[info.name] = make_coercer(info.type, info.options)
        return _Target(info, coerce, path)

    def _auto_field(self, key: str) -> FieldInfo | None:
        info = self._catalog.lookup_normalised(key)
        if info is None and key in SYNONYMS:
            info = self._catalog.get(SYNONYMS[key])
        if info is None or not info.editable or info.name in SYSTEM_FIELDS:
            return None
        if not self._auto and (self._match is None or info.name != self._match.name):
            return None
        return info

    def _route(self, path: str, leaf: str | None, airbyte_column: bool) -> _Route:
        """`leaf` is the last key of a nested path (None for a top-level key); `airbyte_column`: the
        path is, or is inside, one of Airbyte's own columns."""
        if path in self._ignore:
            return _Route(path, ignored=True)
        explicit = self._explicit.get(path)
        if explicit:
            return _Route(path, tuple(self._target(info, path) for info in explicit), whole=True)
        if airbyte_column and not self._maps_inside(path):
            return _Route(path, ignored=True)
        info = self._auto_field(normalise(path))
        if info is None and leaf is not None:
            info = self._auto_field(normalise(leaf))
        if info is None:
            return _Route(path)
        if info.name in self._explicit_source_of:
            winner = self._explicit_source_of[info.name]
            self._displaced.setdefault(info.name, path)
            return _Route(path, lost_to=f"{info.name} (mapped explicitly from '{winner}')")
        return _Route(path, (self._target(info, path),))

    def _top_route(self, key: Any) -> _Route:
        route = self._top_routes.get(key)
        if route is None:
            route = self._route(str(key), None, is_airbyte_column(str(key)))
            if len(self._top_routes) < MAX_CACHED_ROUTES:
                self._top_routes[key] = route
        return route

    def _nested_route(self, parts: tuple[str, ...]) -> _Route:
        route = self._nested_routes.get(parts)
        if route is None:
            route = self._route(".".join(parts), parts[-1], is_airbyte_column(parts[0]))
            if len(self._nested_routes) < MAX_CACHED_ROUTES:
                self._nested_routes[parts] = route
        return route

    # mapping ------------------------------------------------------------------------------------

    def _unrouted(self, route: _Route) -> None:
        if not route.reported:
            route.reported = True
            self._note_unmapped(route.path, route.lost_to)

    def _note_unmapped(self, path: str, conflict: str | None) -> None:
        if path in self._unmapped:
            return
        if len(self._unmapped) >= MAX_UNMAPPED_LISTED:
            self._unmapped_overflow = True
            return
        self._unmapped.add(path)
        if conflict is not None:
            self._conflicts.setdefault(path, conflict)

    def _apply(self, route: _Route, value: Any, out: dict[str, str], claimed: dict[str, str]) -> None:
        """A field goes to the first path of the record that gives it a value. A null, or a value
        that carries nothing for its type (`""` for a number or a date; an empty match value), claims
        nothing: `{"email": null, "Email": "x@x.io"}` writes x@x.io (the first path seen is kept for
        the "no value" message only, under `_SEEN`)."""
        if route.whole:
            self._explicit_found.add(route.path)
        for target in route.targets:
            name = target.info.name
            if value is None:
                claimed.setdefault(_SEEN + name, route.path)
                continue
            holder = claimed.get(name)
            if holder is not None:
                conflict = f"{name} (taken by '{holder}' in the same record)"
                if len(route.targets) == 1:
                    self._note_unmapped(route.path, conflict)
                elif len(self._conflicts) < MAX_UNMAPPED_LISTED:
                    self._conflicts.setdefault(route.path, conflict)
                continue
            try:
                wire = target.coerce(value)
            except CoercionError as error:
                if self._only_the_key and name != self._match_name:
                    continue
                raise RecordRejected(target.prefix + error.problem) from None
            if wire is None or (not wire and self._match is not None and name == self._match.name):
                claimed.setdefault(_SEEN + name, route.path)
                continue
            claimed[name] = route.path
            out[name] = wire

    def map(self, record: Mapping[str, Any]) -> dict[str, str]:
        """Fields (Ontraport field name -> wire string) for one record, always including the match
        field when there is one. Raises RecordRejected when the match key is missing/empty/invalid or
        a mapped value cannot be coerced. Null values are left out (they never blank a field), and never
        take a field from another path of the record that has a value for it.

        Every key is routed one by one, nested objects walked, conflicts settled in record order."""
        self.records_mapped += 1
        out: dict[str, str] = {}
        claimed: dict[str, str] = {}  # field name -> the source path that gave it its value
        nested: list[tuple[tuple[str, ...], Mapping[str, Any]]] = []
        routes = self._top_routes
        for key, value in record.items():
            route = routes.get(key) or self._top_route(key)
            if route.ignored:
                continue
            if isinstance(value, dict) and not route.whole:
                if value:
                    nested.append(((route.path,), value))
            elif route.targets:
                self._apply(route, value, out, claimed)
            else:
                self._unrouted(route)
        for parts, obj in nested:
            self._walk(parts, obj, out, claimed)
        if self._match is not None and not out.get(self._match.name):
            raise RecordRejected(self._no_match_value(self._match, claimed.get(_SEEN + self._match.name)))
        return out

    def _walk(
        self, parts: tuple[str, ...], obj: Mapping[str, Any], out: dict[str, str], claimed: dict[str, str]
    ) -> None:
        """Depth-first over a nested object, without recursion (records can be deep)."""
        stack: list[tuple[tuple[str, ...], Iterator[tuple[Any, Any]]]] = [(parts, iter(obj.items()))]
        while stack:
            prefix, items = stack[-1]
            for key, value in items:
                path = (*prefix, str(key))
                route = self._nested_route(path)
                if route.ignored:
                    continue
                if isinstance(value, dict) and not route.whole:
                    if not value:
                        continue
                    if len(path) < MAX_DEPTH:
                        stack.append((path, iter(value.items())))
                        break
                    self._unrouted(route)
                elif route.targets:
                    self._apply(route, value, out, claimed)
                else:
                    self._unrouted(route)
            else:
                stack.pop()

    def _no_match_value(self, info: FieldInfo, seen_path: str | None) -> str:
        if seen_path is not None:
            looked = [seen_path]
        elif info.name in self._explicit_source_of:
            looked = [source for source, infos in self._explicit.items() if info in infos]
        else:
            looked = [info.name]
            if normalise(info.alias) != normalise(info.name):
                looked.append(info.alias)
        return f"no value for the match field {info.label} (source field(s) looked at: {', '.join(looked)})"

    def unused_explicit(self) -> list[tuple[str, list[FieldInfo], str | None]]:
        """Explicit mappings whose source was in no record mapped so far: (source, its targets, a
        source path that would have reached the first target automatically but gave way to the
        mapping). Such a mapping silently switches the automatic mapping of its target off."""
        return [
            (source, targets, self._displaced.get(targets[0].name))
            for source, targets in self._explicit.items()
            if source not in self._explicit_found
        ]

    def match_value_despite_errors(self, record: Mapping[str, Any]) -> str | None:
        """The match field's value of a record `map` rejected for another field's value (a date it
        could not read): the record still names its record. None when the match field has no usable
        value. The caller compares it as its writer compares keys."""
        if self._match is None:
            return None
        self._only_the_key = True
        try:
            return self.map(record).get(self._match.name) or None
        except RecordRejected:
            return None
        finally:
            self._only_the_key = False

    @property
    def _match_name(self) -> str | None:
        return self._match.name if self._match is not None else None

    @property
    def match_field(self) -> FieldInfo | None:
        return self._match

    @property
    def unmapped_count(self) -> int:
        """How many unmapped paths there are: a per-record check that copies nothing."""
        return len(self._unmapped)

    @property
    def unmapped_paths(self) -> set[str]:
        """Source paths seen so far that map to no field (the destination logs each once)."""
        return set(self._unmapped)

    @property
    def unmapped_overflow(self) -> bool:
        """Whether more than MAX_UNMAPPED_LISTED paths mapped nowhere (the rest are not listed)."""
        return self._unmapped_overflow

    @property
    def conflicts(self) -> dict[str, str]:
        """Unmapped paths that lost a field to another path: path -> which field and why."""
        return dict(self._conflicts)


def values_equal(field: FieldInfo, ours: str, theirs: Any) -> bool:
    """Whether the wire value we would send equals what Ontraport holds (numeric-aware, "" == None...)."""
    return wire_equal(field.type, ours, theirs)


__all__ = [
    "SYNONYMS",
    "FieldCatalog",
    "FieldInfo",
    "RecordMapper",
    "case_unsettled",
    "key_normaliser",
    "normalise",
    "values_equal",
]
