"""How a written value is kept, for the field types whose storage is not "the string as sent".

- `parent` (a link to another record, notes 13 C10): the value is the linked record's id. A
  positive whole number is kept; `0` or an empty value clears the link (it then reads `""`, like a
  field never set). Anything else is refused with 400, so that a client that sends a name or an
  email where Ontraport wants an id fails here instead of silently linking nothing. Whether the
  linked record exists is not checked (no source shows Ontraport checking it).
- `fulldate` (a date without a time) under the `date_only_zone` switch (notes 13 D12: whether
  Ontraport keeps date-only values in UTC or in the account's zone is unsettled): with `utc` the
  value is kept as sent; with an offset of N hours, a value written as Unix seconds is kept as
  00:00 of its UTC day at UTC+N, that is `day - N * 3600`, which is what a client reading it back
  would see if Ontraport stored midnight of the account's zone.
"""

from __future__ import annotations

import re

from .errors import ApiError
from .meta import ObjectType

_WHOLE = re.compile(r"^[0-9]+$", re.ASCII)
_SECONDS = re.compile(r"^-?[0-9]+$", re.ASCII)
_DAY = 86_400


def parent_value(name: str, value: str) -> str:
    text = value.strip()
    if text == "":
        return ""
    if not _WHOLE.match(text):
        raise ApiError(400, f"Invalid value for field {name}: expected a record id")
    return "" if int(text) == 0 else str(int(text))


def date_only_value(value: str, zone: str) -> str:
    """`zone` is the `date_only_zone` switch: "utc" or a whole-hour offset such as "+10"."""
    text = value.strip()
    if zone == "utc" or not _SECONDS.match(text):
        return value
    day = int(text) // _DAY * _DAY
    return str(day - int(zone) * 3600)


def stored_fields(kind: ObjectType, fields: dict[str, str], zone: str) -> dict[str, str]:
    """The written fields as the account keeps them (see the module docstring)."""
    out = dict(fields)
    for name in kind.parent_fields & out.keys():
        out[name] = parent_value(name, out[name])
    for name in kind.date_only_fields & out.keys():
        out[name] = date_only_value(out[name], zone)
    return out
