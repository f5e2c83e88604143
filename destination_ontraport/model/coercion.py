"""Source values -> Ontraport wire strings, by Ontraport field type.

Each coercer takes one JSON value (never None: the mapper leaves nulls out before) and returns the
string to send, None to leave the field out, or raises `CoercionError` with a short sentence about
the value. The mapper adds the source path and target field to that sentence, so this module knows
nothing about records, only about types and values (see docs/ontraport-api-notes.md section 6).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any

Coercer = Callable[[Any], str | None]

MAX_TEXT_LENGTH = 65_535  # MySQL TEXT; Ontraport documents no limit (UNCONFIRMED), so stay safe
MAX_EMAIL_LENGTH = 254
NUMBER_LIMIT = Decimal(10) ** 15  # beyond this a double loses integer precision; Ontraport would garble it
_INT_LIMIT = int(NUMBER_LIMIT)  # the same bound, for the int fast path
MAX_FRACTION_DIGITS = 20  # 1e-300 would otherwise become 300 zeros
QUOTE_LENGTH = 80
LIST_DELIMITER = "*/*"
MAX_LISTED_OPTIONS = 10

NUMBER_TYPES = frozenset({"numeric", "price"})
DATE_TYPES = frozenset({"fulldate", "timestamp", "date", "datetime"})
DATE_ONLY_TYPES = frozenset({"fulldate", "date"})
CHECK_TYPES = frozenset({"check"})
DROP_TYPES = frozenset({"drop"})
LIST_TYPES = frozenset({"list"})
EMAIL_TYPES = frozenset({"email"})
LINK_TYPES = frozenset({"parent"})  # a link to another record, written as that record's id
# Compared as numbers when reading back; for the second set "" (or null) and "0" are the same value:
# an unchecked box, Ontraport's "no date", and a link to no record.
_NUMERIC_COMPARE = NUMBER_TYPES | CHECK_TYPES | DROP_TYPES | DATE_TYPES | LINK_TYPES
_ZERO_IS_EMPTY = CHECK_TYPES | DATE_TYPES | LINK_TYPES

_EXPONENT_BOUND = 100
_DAY = 86_400
# A date-only value is sent as 00:00 UTC of its day. Ontraport may hand it back as midnight of the
# account's time zone (no source settles it), so a value read back counts as the same day when it is
# from 13 hours before ours to less than 11 hours after: midnight of that day from UTC-10 to UTC+13.
# The window is one day wide, so the day before or after never counts as the same.
_SAME_DAY_BEFORE = 13 * 3600
_SAME_DAY_AFTER = 11 * 3600
_DECIMALS = Context(prec=60)  # < 1e15 with <= 20 fraction digits fits without rounding
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = date(1970, 1, 1).toordinal()
_MIN_SECONDS = (datetime(1900, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(seconds=1)
_MAX_SECONDS = (datetime(2101, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(seconds=1) - 1
_MILLISECONDS_ABOVE = 10**11  # |epoch| above this is milliseconds (1e11 s is the year 5138)

_DIGITS_RE = re.compile(r"[0-9]+", re.ASCII)  # str.isdigit() is also true for "²" and fullwidth digits
_MAX_ID_DIGITS = 15  # ids stay below NUMBER_LIMIT; checked before int(), which refuses huge strings
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_GROUPED_NUMBER_RE = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII)
_NOT_FINITE_RE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_EMAIL_RE = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f.]+(?:\.[^@\s\x00-\x1f\x7f.]+)+")
_YMD_SLASH_RE = re.compile(r"([0-9]{4})/([0-9]{1,2})/([0-9]{1,2})", re.ASCII)
_US_RE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", re.ASCII)
_DOTTED_RE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})", re.ASCII)
_MONTH_FIRST_RE = re.compile(r"([a-z]+)\.?\s+([0-9]{1,2})(?:st|nd|rd|th)?,?\s+([0-9]{4})", re.ASCII)
_DAY_FIRST_RE = re.compile(r"([0-9]{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+([0-9]{4})", re.ASCII)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_WORD_RE = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)", re.IGNORECASE)
_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE_WORDS = frozenset({"0", "false", "f", "no", "n", "off"})
_RANGE = "is out of range (Ontraport dates must fall between 1900 and 2100)"
_DATE_HINT = "is not a date Ontraport understands (use ISO 8601, e.g. 2024-05-31)"


class CoercionError(Exception):
    """A value the field type cannot hold; `problem` is a sentence about the value (no field names)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def quote(value: Any) -> str:
    """The value for a message: repr-like, at most QUOTE_LENGTH characters of it, then "…"."""
    if isinstance(value, str):
        return repr(value if len(value) <= QUOTE_LENGTH else value[:QUOTE_LENGTH] + "…")
    if isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "null"
    if isinstance(value, int):
        if value.bit_length() > 1000:  # str() of a huge int is slow and may raise ValueError
            return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"
        text = str(value)
    elif isinstance(value, list):
        return "a list"
    elif isinstance(value, dict):
        return "an object"
    else:
        text = repr(value)
    return text if len(text) <= QUOTE_LENGTH else text[:QUOTE_LENGTH] + "…"


def _shape_problem(value: Any, ftype: str) -> str:
    if isinstance(value, dict):
        return f"is an object; a {ftype} field holds one value (map one of its fields by dotted path instead)"
    return f"is a list; a {ftype} field holds one value (only list fields take several)"


def _canonical_decimal(number: Decimal) -> str:
    """Plain decimal notation without exponent or trailing zeros: 3, 3.5, -0.25, 0.0000001."""
    if number == number.to_integral_value():
        return str(int(number))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_FRACTION_DIGITS:
        number = number.quantize(
            Decimal(1).scaleb(-MAX_FRACTION_DIGITS), rounding=ROUND_HALF_EVEN, context=_DECIMALS
        )
        if number == number.to_integral_value():
            return str(int(number))
    return format(number.normalize(_DECIMALS), "f")


def _format_float(value: float) -> str:
    if value.is_integer():
        return str(int(value))
    return _canonical_decimal(Decimal(repr(value)))


def _format_int(value: int) -> str:
    try:
        return str(value)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        raise CoercionError(f"{quote(value)} has too many digits") from None


# text-like -----------------------------------------------------------------------------------------


def coerce_text(value: Any, ftype: str = "text") -> str:
    """Strings trimmed (unicode, tabs and newlines kept), numbers in plain notation, booleans as words."""
    if isinstance(value, str):
        text = value.strip()
        if "\x00" in text:
            raise CoercionError(f"{quote(value)} contains a NUL character, which Ontraport cannot store")
        if len(text) > MAX_TEXT_LENGTH:
            raise CoercionError(
                f"{quote(value)} is {len(text):,} characters long; "
                f"Ontraport text fields hold at most {MAX_TEXT_LENGTH:,}"
            )
        return text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _format_int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CoercionError(f"{quote(value)} is not a finite number")
        return _format_float(value)
    if isinstance(value, list | dict):
        raise CoercionError(_shape_problem(value, ftype))
    raise CoercionError(f"{quote(value)} has an unsupported type ({type(value).__name__})")


def coerce_email(value: Any) -> str:
    """Trimmed, case kept as the source has it (matching ignores case; whether Ontraport does is not
    settled, so the value it may hold is looked up in both forms); "" clears the field; anything not
    shaped like an address is rejected."""
    if isinstance(value, list | dict):
        raise CoercionError(_shape_problem(value, "email"))
    if not isinstance(value, str):
        raise CoercionError(f"{quote(value)} is not a valid email address")
    text = value.strip()
    if text and (len(text) > MAX_EMAIL_LENGTH or not _EMAIL_RE.fullmatch(text)):
        raise CoercionError(f"{quote(value)} is not a valid email address")
    return text


# numbers ------------------------------------------------------------------------------------------


def parse_number(value: Any) -> Decimal | None:
    """A finite Decimal from an int, float or numeric string ("1,234.50", "+3", ".5"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, str):
        return _parse_number_text(value)
    return None


def _parse_number_text(value: str) -> Decimal | None:
    """`parse_number` of a string: plain or comma-grouped decimal notation, else None."""
    text = value.strip()
    if _GROUPED_NUMBER_RE.fullmatch(text):
        text = text.replace(",", "")
    elif not _NUMBER_RE.fullmatch(text):
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the patterns admit only valid literals
        return None
    # keep arithmetic on it safe ("1e999999999" would overflow the decimal context): anything
    # this far out is out of range for every caller, anything this small is zero
    if number and number.adjusted() > _EXPONENT_BOUND:
        return Decimal(f"{'-' if number < 0 else ''}1e{_EXPONENT_BOUND}")
    if number and number.adjusted() < -_EXPONENT_BOUND:
        return Decimal(0)
    return number


def coerce_number(value: Any, ftype: str = "numeric") -> str | None:
    """Canonical decimal string ("3", "3.5"); NaN, infinity, booleans and |x| >= 1e15 are rejected."""
    if type(value) is int and -_INT_LIMIT < value < _INT_LIMIT:  # the common case, without Decimal
        return str(value)
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, list | dict):
        raise CoercionError(_shape_problem(value, ftype))
    if isinstance(value, bool):
        raise CoercionError(f"{quote(value)} is a true/false value, not a number")
    if isinstance(value, int) and value.bit_length() > 64:
        raise CoercionError(f"{quote(value)} is out of range (Ontraport numbers stay below 10^15)")
    number = parse_number(value)
    if number is None:
        if (isinstance(value, float)) or (isinstance(value, str) and _NOT_FINITE_RE.fullmatch(value.strip())):
            raise CoercionError(f"{quote(value)} is not a finite number")
        raise CoercionError(f"{quote(value)} is not a number")
    if abs(number) >= NUMBER_LIMIT:
        raise CoercionError(f"{quote(value)} is out of range (Ontraport numbers stay below 10^15)")
    return _canonical_decimal(number)


# check --------------------------------------------------------------------------------------------


def coerce_check(value: Any) -> str | None:
    """Checkbox: "1" or "0" from booleans, 1/0 and yes/no words."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float) and value in (0, 1):
        return "1" if value == 1 else "0"
    if isinstance(value, str):
        word = value.strip().lower()
        if not word:
            return None
        if word in _TRUE_WORDS:
            return "1"
        if word in _FALSE_WORDS:
            return "0"
    if isinstance(value, list | dict):
        raise CoercionError(_shape_problem(value, "checkbox"))
    raise CoercionError(f"{quote(value)} is not a yes/no value (use true/false or 1/0)")


# record ids and links -----------------------------------------------------------------------------


def whole_number(value: Any) -> int | None:
    """A non-negative whole number written as an id is written: an int, a float without a fraction
    (5.0), or a string of ASCII digits (trimmed). None for anything else: `"1e3"`, `"1.0"`, `-1`,
    booleans, and digits other than 0-9 (`"²".isdigit()` is true, and int() reads fullwidth digits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():  # also false for NaN and infinity
            return None
        value = int(value)
    if isinstance(value, int):
        return value if 0 <= value < _INT_LIMIT else None
    if isinstance(value, str):
        text = value.strip()
        if not _DIGITS_RE.fullmatch(text):
            return None
        text = text.lstrip("0") or "0"
        return int(text) if len(text) <= _MAX_ID_DIGITS else None
    return None


def record_id(value: Any) -> str | None:
    """An Ontraport record id from a record value: a positive whole number in plain notation
    (`"007"` -> `"7"`), or None when the value is no such id (0 names no record: Ontraport reads an
    id of 0 as every record of the type)."""
    number = whole_number(value)
    return str(number) if number else None


def coerce_link(value: Any) -> str | None:
    """A link (parent) field holds the id of the linked record: a positive whole number, or 0, which
    is how Ontraport writes "no linked record" (so 0 removes the link). An empty string carries no
    value and is left out, as for number fields."""
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, list | dict):
        raise CoercionError(_shape_problem(value, "link"))
    number = whole_number(value)
    if number is None:
        raise CoercionError(
            f"{quote(value)} is not a record id (a link takes the Ontraport id of the linked record, "
            "a positive whole number, or 0 to remove the link)"
        )
    return str(number)


# dates --------------------------------------------------------------------------------------------


def _seconds_in_range(seconds: int, value: Any) -> str:
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
        raise CoercionError(f"{quote(value)} {_RANGE}")
    return str(seconds)


def _epoch_to_seconds(number: int | float | Decimal) -> int:
    """Epoch seconds, or milliseconds when |number| > 1e11, floored to whole seconds."""
    if isinstance(number, int):
        return number // 1000 if abs(number) > _MILLISECONDS_ABOVE else number
    exact = Decimal(repr(number)) if isinstance(number, float) else number
    if abs(exact) > _MILLISECONDS_ABOVE:
        exact = exact.scaleb(-3)
    return math.floor(exact)


def _datetime_seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(seconds=1)


def _parse_datetime(text: str) -> datetime | None:
    """The formats the lead chose, tried from the most to the least specific; None if none fits."""
    try:
        return datetime.fromisoformat(text.upper())
    except ValueError:
        pass
    lowered = text.lower()
    year = month = day = 0
    if match := _YMD_SLASH_RE.fullmatch(text):
        year, month, day = (int(group) for group in match.groups())
    elif match := _US_RE.fullmatch(text):
        month, day, year = (int(group) for group in match.groups())
    elif match := _DOTTED_RE.fullmatch(text):
        day, month, year = (int(group) for group in match.groups())
    elif match := _MONTH_FIRST_RE.fullmatch(lowered):
        month, day, year = _MONTHS.get(match[1], 0), int(match[2]), int(match[3])
    elif match := _DAY_FIRST_RE.fullmatch(lowered):
        day, month, year = int(match[1]), _MONTHS.get(match[2], 0), int(match[3])
    elif _MONTH_WORD_RE.search(text):
        try:
            return parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError, OverflowError):
            return None
    else:
        return None
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def _calendar_digits(digits: str, value: Any) -> datetime | None:
    """Digits that are a calendar date, not Unix seconds: exactly 4 are a year (ISO 8601's reduced
    precision: its 1 January), 8 that start with a year from 1900 to 2100 are `YYYYMMDD` (ISO 8601's
    basic format). As seconds they would all fall in 1970, which nobody writing them means. Other
    digits are None (seconds). Raises CoercionError for a year out of range or a day that does not
    exist (`20240231`)."""
    if len(digits) == 4:
        year = int(digits)
        if not 1900 <= year <= 2100:
            raise CoercionError(f"{quote(value)} {_RANGE}")
        return datetime(year, 1, 1)
    if len(digits) == 8 and 1900 <= int(digits[:4]) <= 2100:
        try:
            return datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            raise CoercionError(f"{quote(value)} {_DATE_HINT}") from None
    return None


def _calendar_number(value: int | float) -> datetime | None:
    """A JSON number of 4 or 8 digits read as `_calendar_digits` reads them (20240531, 2024)."""
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if not 1000 <= value <= 99_999_999:
        return None
    return _calendar_digits(str(value), value)


def coerce_date(value: Any) -> str | None:
    """Unix seconds as an integer string, from epoch numbers (ms above 1e11) or a date/datetime string.

    Naive datetimes and plain dates are taken as UTC. A bare year (`2024`) and `YYYYMMDD`
    (`20240531`), as a string or a number, are dates (see `_calendar_digits`).
    """
    if type(value) is str and len(value) == 10 and value[4] == "-" == value[7]:
        # `2024-03-01`, the most common shape, without the general parsing below
        try:
            day = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return _seconds_in_range((day.toordinal() - _EPOCH_DAY) * 86_400, value)
    if isinstance(value, str):
        return _date_from_text(value)
    if isinstance(value, bool):
        raise CoercionError(f"{quote(value)} {_DATE_HINT}")
    if isinstance(value, int | float):
        return _date_from_number(value)
    if isinstance(value, list | dict):
        raise CoercionError(_shape_problem(value, "date"))
    raise CoercionError(f"{quote(value)} {_DATE_HINT}")


def _date_from_text(value: str) -> str | None:
    """`coerce_date` of a string: calendar digits, epoch seconds or milliseconds, or a date."""
    text = value.strip()
    if not text:
        return None
    calendar_day = _calendar_digits(text, value) if _DIGITS_RE.fullmatch(text) else None
    if calendar_day is not None:
        return _seconds_in_range(_datetime_seconds(calendar_day), value)
    number = parse_number(text) if _NUMBER_RE.fullmatch(text) else None
    if number is not None:
        if abs(number) > Decimal(10) ** 20:
            raise CoercionError(f"{quote(value)} {_RANGE}")
        return _seconds_in_range(_epoch_to_seconds(number), value)
    moment = _parse_datetime(text)
    if moment is None:
        raise CoercionError(f"{quote(value)} {_DATE_HINT}")
    if not 1899 <= moment.year <= 2101:  # checked before the UTC arithmetic, which could overflow
        raise CoercionError(f"{quote(value)} {_RANGE}")
    return _seconds_in_range(_datetime_seconds(moment), value)


def _date_from_number(value: int | float) -> str:
    """`coerce_date` of a JSON number (not a boolean): calendar digits, else epoch seconds or ms."""
    if isinstance(value, float) and not math.isfinite(value):
        raise CoercionError(f"{quote(value)} is not a finite number, so not a date")
    calendar_day = _calendar_number(value)
    if calendar_day is not None:
        return _seconds_in_range(_datetime_seconds(calendar_day), value)
    return _seconds_in_range(_epoch_to_seconds(value), value)


def coerce_day(value: Any) -> str | None:
    """A date-only field's value: 00:00 UTC of the value's (UTC) day, so that a time of day in the
    source never makes two values of the same day differ."""
    seconds = coerce_date(value)
    if seconds is None:
        return None
    return str(int(seconds) - int(seconds) % _DAY)


# options (drop, list) -----------------------------------------------------------------------------


class Options:
    """A drop/list field's options, looked up by label (trimmed, case-insensitive) or by option id."""

    def __init__(self, options: Mapping[str, str]) -> None:
        self.ids: dict[str, str] = {str(key).strip(): str(key).strip() for key in options}
        self.labels: dict[str, str] = {}
        for option_id, label in options.items():
            self.labels.setdefault(str(label).strip().lower(), str(option_id).strip())

    def find(self, item: str) -> str | None:
        key = item.strip()
        return self.labels.get(key.lower()) or self.ids.get(key)

    def describe(self, labels: Iterable[str]) -> str:
        names = list(labels)
        if not names:
            return "the account's field metadata lists no options"
        shown = ", ".join(names[:MAX_LISTED_OPTIONS])
        more = len(names) - MAX_LISTED_OPTIONS
        return f"options: {shown}" + (f", … ({more} more)" if more > 0 else "")


def _option_key(item: Any) -> str | None:
    """An option lookup key from a scalar item: strings as they are, numbers in plain notation."""
    if isinstance(item, str):
        return item
    if isinstance(item, bool):
        return None
    if isinstance(item, int):
        return str(item) if item.bit_length() <= 64 else None
    if isinstance(item, float) and math.isfinite(item):
        return _format_float(item)
    return None


def _is_option_id(key: str) -> bool:
    key = key.strip()
    return key.isascii() and key.isdigit()


def make_drop_coercer(options: Mapping[str, str]) -> Coercer:
    table = Options(options)
    labels = [str(label) for label in options.values()]

    def coerce_drop(value: Any) -> str | None:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, list | dict):
            raise CoercionError(_shape_problem(value, "drop-down"))
        key = _option_key(value)
        found = table.find(key) if key is not None else None
        if found is None and key is not None and not table.ids and _is_option_id(key):
            found = key.strip()  # no options in the metadata: trust a bare option id
        if found is None:
            raise CoercionError(
                f"{quote(value)} is not an option of this drop-down ({table.describe(labels)})"
            )
        return found

    return coerce_drop


def make_list_coercer(options: Mapping[str, str]) -> Coercer:
    table = Options(options)
    labels = [str(label) for label in options.values()]

    def coerce_list(value: Any) -> str | None:
        items: list[Any]
        if isinstance(value, list):
            items = value
        elif isinstance(value, str):
            text = value.strip()
            if table.find(text) is not None:
                items = [text]  # a label that itself contains a comma
            elif LIST_DELIMITER in text:
                items = text.split(LIST_DELIMITER)
            else:
                items = text.split(",")
        elif isinstance(value, dict):
            raise CoercionError("is an object; a list field takes a list of option labels or ids")
        else:
            items = [value]
        ids: list[str] = []
        for item in items:
            if item is None or (isinstance(item, str) and not item.strip()):
                continue
            key = _option_key(item)
            found = table.find(key) if key is not None else None
            if found is None:
                raise CoercionError(
                    f"{quote(item.strip() if isinstance(item, str) else item)} (in {quote(value)}) "
                    "is not an option of this list field "
                    f"({table.describe(labels)})"
                )
            if found not in ids:
                ids.append(found)
        if not ids:
            return ""
        return LIST_DELIMITER + LIST_DELIMITER.join(ids) + LIST_DELIMITER

    return coerce_list


# dispatch -----------------------------------------------------------------------------------------


CoercerFactory = Callable[[str, Mapping[str, str]], Coercer]


def _number_coercer(ftype: str, _options: Mapping[str, str]) -> Coercer:
    return partial(coerce_number, ftype=ftype)


def _drop_coercer(_ftype: str, options: Mapping[str, str]) -> Coercer:
    return make_drop_coercer(options)


def _list_coercer(_ftype: str, options: Mapping[str, str]) -> Coercer:
    return make_list_coercer(options)


def _same_coercer(coercer: Coercer) -> CoercerFactory:
    """A factory for a type whose coercer needs neither the type's name nor its options."""
    return lambda _ftype, _options: coercer


# Each type set names its coercer; the sets are disjoint but for DATE_ONLY_TYPES, a subset of
# DATE_TYPES that comes after it so that its entries win.
_COERCER_FACTORIES: dict[str, CoercerFactory] = {
    **dict.fromkeys(NUMBER_TYPES, _number_coercer),
    **dict.fromkeys(DATE_TYPES, _same_coercer(coerce_date)),
    **dict.fromkeys(DATE_ONLY_TYPES, _same_coercer(coerce_day)),
    **dict.fromkeys(CHECK_TYPES, _same_coercer(coerce_check)),
    **dict.fromkeys(DROP_TYPES, _drop_coercer),
    **dict.fromkeys(LIST_TYPES, _list_coercer),
    **dict.fromkeys(EMAIL_TYPES, _same_coercer(coerce_email)),
    **dict.fromkeys(LINK_TYPES, _same_coercer(coerce_link)),
}


def make_coercer(ftype: str, options: Mapping[str, str]) -> Coercer:
    """The coercer for one Ontraport field type; unknown types are treated as text."""
    factory = _COERCER_FACTORIES.get(ftype)
    if factory is not None:
        return factory(ftype, options)
    return coerce_text if ftype == "text" else partial(coerce_text, ftype=ftype)


def same_day(ours: str, theirs: str) -> bool:
    """Whether Ontraport's value for a date-only field is the day we send (see _SAME_DAY_BEFORE)."""
    try:
        day, held = int(ours), int(theirs)
    except ValueError:
        return False
    return day - _SAME_DAY_BEFORE <= held < day + _SAME_DAY_AFTER


# reading back -------------------------------------------------------------------------------------


def _as_wire(value: Any) -> str:
    """What Ontraport returned (string, number, bool or null) as a wire string."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    try:
        return str(value)
    except ValueError:  # an int beyond the str conversion limit: equal to nothing we send
        return "\x00"


def list_ids(wire: Any) -> set[str]:
    """The option ids of a list value as Ontraport returns it (`*/*1*/*3*/*`, a list, or `1,3`)."""
    if isinstance(wire, list):
        return {_as_wire(item).strip() for item in wire} - {""}
    text = _as_wire(wire)
    parts = text.split(LIST_DELIMITER) if LIST_DELIMITER in text else text.split(",")
    return {part.strip() for part in parts if part.strip()}


def wire_equal(ftype: str, ours: str, theirs: Any) -> bool:
    """Whether our wire string for a field of this type equals the value Ontraport holds."""
    if ftype in LIST_TYPES:
        return list_ids(ours) == list_ids(theirs)
    their_text = _as_wire(theirs)
    if ours == their_text:
        return True
    if ftype in EMAIL_TYPES:
        return ours.strip().lower() == their_text.strip().lower()
    if ftype in _NUMERIC_COMPARE:
        return _numbers_equal(ftype, ours.strip(), their_text.strip())
    return False


def _numbers_equal(ftype: str, left: str, right: str) -> bool:
    """`wire_equal` of a type compared as numbers, on the trimmed wire strings."""
    if ftype in _ZERO_IS_EMPTY and left in {"", "0"} and right in {"", "0"}:
        return True
    if ftype in DATE_ONLY_TYPES and left not in {"", "0"} and right not in {"", "0"}:
        return same_day(left, right)
    left_number, right_number = parse_number(left), parse_number(right)
    return left_number is not None and right_number is not None and left_number == right_number
