"""Keys of a config that the connector does not know, and the known key each one is a near miss of.

A misspelled option is worse than a missing one: `"dryrun": true` is not `dry_run`, so the sync
really writes. A key that is a near miss of a known one (the same once case, `_`, `-` and spaces are
set aside, or close to it by difflib's ratio) is therefore refused before anything is sent; any
other unknown key (a note, an option of another connector) is only named in a warning. Nested
settings are walked the way the pydantic models declare them: the entries of `field_mapping`, and
`object_storage_config` with the variant its `storage_type` picks (and its `format`, `compression`).
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

NEAR_MISS_RATIO = 0.8
"""difflib ratio of the squashed names from which an unknown key counts as a misspelling: `dryrun`
-> `dry_run` (equal once squashed), `max_removal` -> `max_removals`, `tag` -> `tags` (0.86); but
`comment`, `notes` or `source_name` are near nothing and only warn."""
MAX_KEY_SHOWN = 80


@dataclass(frozen=True)
class UnknownKey:
    """One unknown key: where it is (`dryrun`, `field_mapping[0].sorce`), and the known key it is a
    near miss of, if any."""

    path: str
    suggestion: str | None

    def describe(self) -> str:
        if self.suggestion is None:
            return self.path
        return f"unknown option '{self.path}' (did you mean '{self.suggestion}'?)"


def squash(name: str) -> str:
    """`Dry_Run`, `dry-run`, `dryRun` -> `dryrun`."""
    return "".join(char for char in name.casefold() if char.isalnum())


def near_miss(key: str, known: Sequence[str]) -> str | None:
    """The known key `key` most likely misspells, or None."""
    wanted = squash(key)
    if not wanted:
        return None
    by_squashed = {squash(name): name for name in known}
    if wanted in by_squashed:
        return by_squashed[wanted]
    close = difflib.get_close_matches(wanted, list(by_squashed), n=1, cutoff=NEAR_MISS_RATIO)
    return by_squashed[close[0]] if close else None


def unknown_keys(model: type[BaseModel], data: Any, where: str = "") -> list[UnknownKey]:
    """Every unknown key of `data` read as `model`, nested settings included, in the data's order."""
    return list(_walk(model, data, where))


def _walk(model: type[BaseModel], data: Any, where: str) -> Iterator[UnknownKey]:
    if not isinstance(data, Mapping):
        return
    fields = model.model_fields
    for key, value in data.items():
        path = f"{where}.{_shown(key)}" if where else _shown(key)
        info = fields.get(key)
        if info is None:
            yield UnknownKey(path, near_miss(str(key), list(fields)))
        else:
            yield from _walk_value(info.annotation, value, path)


def _walk_value(annotation: Any, value: Any, path: str) -> Iterator[UnknownKey]:
    """Into a nested model, a list of models, or the variant of a union of models that fits."""
    origin = get_origin(annotation)
    if origin in (list, tuple) and isinstance(value, list):
        inner = get_args(annotation)[0] if get_args(annotation) else None
        for index, item in enumerate(value):
            yield from _walk_value(inner, item, f"{path}[{index}]")
        return
    models = _models_of(annotation)
    if not models or not isinstance(value, Mapping):
        return
    model = _variant(models, value)
    if model is not None:
        yield from _walk(model, value, path)
        return
    # No variant fits (a missing or unknown type): a key is unknown only when no variant knows it.
    known = [name for candidate in models for name in candidate.model_fields]
    for key in value:
        if key not in known:
            yield UnknownKey(f"{path}.{_shown(key)}", near_miss(str(key), known))


def _shown(key: Any) -> str:
    """A key as messages show it: a hostile config's 1 MB key name must not become a 1 MB line."""
    text = str(key)
    return text if len(text) <= MAX_KEY_SHOWN else text[:MAX_KEY_SHOWN] + "…"


def _models_of(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) in (Union, types.UnionType):
        return [arg for arg in get_args(annotation) if isinstance(arg, type) and issubclass(arg, BaseModel)]
    return []


def _variant(models: Sequence[type[BaseModel]], value: Mapping[str, Any]) -> type[BaseModel] | None:
    """The one model whose literal fields (`storage_type: Literal["S3"]`) the value matches."""
    if len(models) == 1:
        return models[0]
    fitting = [model for model in models if _fits(model, value)]
    return fitting[0] if len(fitting) == 1 else None


def _fits(model: type[BaseModel], value: Mapping[str, Any]) -> bool:
    """At least one of the model's literal fields is in the value, and each one there has a value
    the literal allows."""
    literals = {
        name: get_args(info.annotation)
        for name, info in model.model_fields.items()
        if get_origin(info.annotation) is Literal and name in value
    }
    return bool(literals) and all(value[name] in allowed for name, allowed in literals.items())


__all__ = ["UnknownKey", "near_miss", "squash", "unknown_keys"]
