"""The `condition` parameter: parsing, evaluation and index planning.

Ontraport takes criteria as a JSON array of clauses joined by "AND"/"OR" (read left to right; the
precedence of mixed AND/OR is unconfirmed, so no precedence is applied) and still accepts a
legacy SQL-like string (`email='x@y.com'`). Comparisons of text follow MySQL's case-insensitive
collation by default, the likelier behaviour; no source settles it, so the `text_case` switch can
make every comparison case-sensitive (a binary collation), and a clause remembers which it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .params import as_str

EQUALITY_OPS = frozenset({"=", "IN"})
_VALID_OPS = frozenset(
    {"=", "<>", ">", "<", ">=", "<=", "LIKE", "NOT LIKE", "IN", "NOT IN", "IS NULL", "IS NOT NULL"}
)


class CriteriaError(ValueError):
    """The condition cannot be understood; the API answers 400 with this message."""


@dataclass(frozen=True)
class Clause:
    field: str
    op: str
    values: tuple[str, ...]
    folded: tuple[str, ...]
    pattern: re.Pattern[str] | None = None
    sensitive: bool = False  # the `text_case` the clause was parsed under


@dataclass(frozen=True)
class Junction:
    op: str  # "AND" | "OR"
    left: Node
    right: Node


Node = Clause | Junction


def fold(value: str, sensitive: bool = False) -> str:
    """The comparison key of a text value: MySQL `_ci` collations ignore case, binary ones do not."""
    return value if sensitive else value.lower()


def _like_pattern(pattern: str, sensitive: bool) -> re.Pattern[str]:
    out: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    return re.compile("".join(out), re.DOTALL if sensitive else re.IGNORECASE | re.DOTALL)


def make_clause(field: str, op: str, values: Iterable[Any], sensitive: bool = False) -> Clause:
    op = " ".join(op.upper().split())
    if op == "!=":
        op = "<>"
    texts = tuple(as_str(value) for value in values)
    if op in ("IS", "IS NOT"):
        if len(texts) != 1 or texts[0].upper() != "NULL":
            raise CriteriaError(f"operator {op} only supports NULL")
        op = f"{op} NULL"
        texts = ()
    if op not in _VALID_OPS:
        raise CriteriaError(f"unsupported operator {op!r}")
    if op not in ("IS NULL", "IS NOT NULL") and not texts:
        raise CriteriaError(f"operator {op} needs a value")
    if op not in ("IN", "NOT IN", "IS NULL", "IS NOT NULL") and len(texts) != 1:
        raise CriteriaError(f"operator {op} takes exactly one value")
    pattern = _like_pattern(texts[0], sensitive) if op in ("LIKE", "NOT LIKE") else None
    folded = tuple(fold(t, sensitive) for t in texts)
    return Clause(field=field, op=op, values=texts, folded=folded, pattern=pattern, sensitive=sensitive)


# ---------------------------------------------------------------------------------------------
# JSON criteria
# ---------------------------------------------------------------------------------------------


def _json_values(raw: Any) -> list[Any]:
    if isinstance(raw, dict):
        if "list" in raw:
            items = raw["list"]
            if not isinstance(items, list):
                raise CriteriaError("value.list must be an array")
            return [item.get("value") if isinstance(item, dict) else item for item in items]
        if "value" in raw:
            return [raw["value"]]
        raise CriteriaError("value must hold 'value' or 'list'")
    if isinstance(raw, list):
        return [item.get("value") if isinstance(item, dict) else item for item in raw]
    return [raw]


def _json_clause(raw: dict[str, Any], sensitive: bool) -> Clause:
    field_raw = raw.get("field")
    if isinstance(field_raw, dict):
        field_raw = field_raw.get("field")
    if not isinstance(field_raw, str) or not field_raw:
        raise CriteriaError("clause without a field name")
    op = raw.get("op")
    if not isinstance(op, str):
        raise CriteriaError("clause without an operator")
    return make_clause(field_raw, op, _json_values(raw.get("value")), sensitive)


def _json_node(items: list[Any], sensitive: bool) -> Node:
    if not items:
        raise CriteriaError("empty condition")
    node: Node | None = None
    pending_op: str | None = None
    for item in items:
        if isinstance(item, str):
            joiner = item.strip().upper()
            if joiner not in ("AND", "OR") or node is None or pending_op is not None:
                raise CriteriaError(f"unexpected {item!r} in condition")
            pending_op = joiner
            continue
        if isinstance(item, list):
            term = _json_node(item, sensitive)  # an extension: a nested array is a parenthesised group
        elif isinstance(item, dict):
            term = _json_clause(item, sensitive)
        else:
            raise CriteriaError("condition items must be clauses or 'AND'/'OR'")
        # adjacent clauses without a joiner are read as AND
        node = term if node is None else Junction(pending_op or "AND", node, term)
        pending_op = None
    if node is None or pending_op is not None:
        raise CriteriaError("condition ends with a dangling AND/OR")
    return node


# ---------------------------------------------------------------------------------------------
# Legacy SQL-like strings
# ---------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.)*")
      | (?P<num>-?\d+(?:\.\d+)?(?![A-Za-z_]))
      | (?P<op><>|!=|>=|<=|=|<|>)
      | (?P<lp>\() | (?P<rp>\)) | (?P<comma>,)
      | (?P<word>`[^`]+`|[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise CriteriaError(f"cannot parse condition near {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "str":
            quote = value[0]
            value = value[1:-1].replace(quote * 2, quote)
            value = re.sub(r"\\(.)", r"\1", value)
        elif kind == "word" and value.startswith("`"):
            value = value[1:-1]
            kind = "field"
        tokens.append((kind, value))
        pos = match.end()
    return tokens


class _SqlParser:
    def __init__(self, text: str, sensitive: bool) -> None:
        self.tokens = _tokenize(text)
        self.pos = 0
        self.sensitive = sensitive

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.pos += 1
        return token

    def keyword(self, *words: str) -> bool:
        kind, value = self.peek()
        if kind == "word" and value.upper() in words:
            self.pos += 1
            return True
        return False

    def parse(self) -> Node:
        node = self.expr()
        if self.peek()[0] != "end":
            raise CriteriaError(f"unexpected {self.peek()[1]!r} in condition")
        return node

    def expr(self) -> Node:
        node = self.term()
        while True:
            kind, value = self.peek()
            if kind == "word" and value.upper() in ("AND", "OR"):
                self.pos += 1
                node = Junction(value.upper(), node, self.term())
            else:
                return node

    def term(self) -> Node:
        if self.peek()[0] == "lp":
            self.take()
            node = self.expr()
            if self.take()[0] != "rp":
                raise CriteriaError("missing ')' in condition")
            return node
        kind, name = self.take()
        if kind not in ("word", "field"):
            raise CriteriaError(f"expected a field name, got {name!r}")
        if self.keyword("IS"):
            negate = self.keyword("NOT")
            if not self.keyword("NULL"):
                raise CriteriaError("IS must be followed by NULL")
            return make_clause(name, "IS NOT" if negate else "IS", ["NULL"], self.sensitive)
        negate = self.keyword("NOT")
        if self.keyword("LIKE"):
            return make_clause(name, "NOT LIKE" if negate else "LIKE", [self.value()], self.sensitive)
        if self.keyword("IN"):
            return make_clause(name, "NOT IN" if negate else "IN", self.value_list(), self.sensitive)
        if negate:
            raise CriteriaError("NOT must be followed by LIKE or IN")
        kind, op = self.take()
        if kind != "op":
            raise CriteriaError(f"expected an operator after {name!r}")
        return make_clause(name, op, [self.value()], self.sensitive)

    def value(self) -> str:
        kind, value = self.take()
        if kind in ("str", "num"):
            return value
        if kind == "word" and value.upper() == "NULL":
            return ""
        raise CriteriaError(f"expected a value, got {value!r}")

    def value_list(self) -> list[str]:
        if self.take()[0] != "lp":
            raise CriteriaError("IN must be followed by '('")
        values = [self.value()]
        while self.peek()[0] == "comma":
            self.take()
            values.append(self.value())
        if self.take()[0] != "rp":
            raise CriteriaError("missing ')' after IN list")
        return values


def parse_condition(raw: Any, sensitive: bool = False) -> Node | None:
    """Accepts the JSON array (as text or already decoded), a single clause object, or the legacy
    string form. Blank means no condition. `sensitive` is the `text_case` switch."""
    if raw is None:
        return None
    if isinstance(raw, list):
        return _json_node(raw, sensitive)
    if isinstance(raw, dict):
        return _json_clause(raw, sensitive)
    text = as_str(raw).strip()
    if not text:
        return None
    if text[0] in "[{":
        try:
            decoded = json.loads(text)
        except ValueError as exc:
            raise CriteriaError("condition is not valid JSON") from exc
        return parse_condition(decoded, sensitive)
    return _SqlParser(text, sensitive).parse()


def fields_of(node: Node) -> set[str]:
    if isinstance(node, Clause):
        return {node.field}
    return fields_of(node.left) | fields_of(node.right)


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _compare(actual: str, op: str, expected: str, sensitive: bool) -> bool:
    left, right = _number(actual), _number(expected)
    if left is not None and right is not None:
        a: Any = left
        b: Any = right
    else:
        a, b = fold(actual, sensitive), fold(expected, sensitive)
    if op == ">":
        return bool(a > b)
    if op == "<":
        return bool(a < b)
    if op == ">=":
        return bool(a >= b)
    return bool(a <= b)


def clause_matches(clause: Clause, actual: str) -> bool:
    op = clause.op
    if op in ("=", "IN"):
        return fold(actual, clause.sensitive) in clause.folded
    if op in ("<>", "NOT IN"):
        return fold(actual, clause.sensitive) not in clause.folded
    if op == "IS NULL":
        return actual == ""
    if op == "IS NOT NULL":
        return actual != ""
    if op in ("LIKE", "NOT LIKE"):
        assert clause.pattern is not None
        found = clause.pattern.fullmatch(actual) is not None
        return found if op == "LIKE" else not found
    return _compare(actual, op, clause.values[0], clause.sensitive)


def matches(node: Node, get: Callable[[str], str]) -> bool:
    if isinstance(node, Clause):
        return clause_matches(node, get(node.field))
    if node.op == "AND":
        return matches(node.left, get) and matches(node.right, get)
    return matches(node.left, get) or matches(node.right, get)


def candidates(node: Node, lookup: Callable[[Clause], set[int] | None]) -> set[int] | None:
    """A superset of the matching ids from indexes, or None when a full scan is needed. The
    caller still checks every candidate against the whole condition."""
    if isinstance(node, Clause):
        if node.op in EQUALITY_OPS and all(node.values):
            return lookup(node)
        return None
    left = candidates(node.left, lookup)
    right = candidates(node.right, lookup)
    if node.op == "AND":
        return _both(left, right)
    if left is None or right is None:
        return None
    return left | right


def _both(left: set[int] | None, right: set[int] | None) -> set[int] | None:
    """The candidates of an AND: either side's bound it, so the intersection when both sides have
    them (the smaller set first), else the side that has them."""
    if left is None:
        return right
    if right is None:
        return left
    return left & right if len(left) <= len(right) else right & left
