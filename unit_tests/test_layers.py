"""The house drawn from its imports: each package of destination_ontraport/ imports only the packages
below it (LAYERS), so that no import runs back up and no circle forms. A new module or import that
breaks the order fails here; README.md's "Layout" section describes the same floors."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = "destination_ontraport"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

LAYERS: dict[str, frozenset[str]] = {
    # the pure model (object types, fields, coercion) and Airbyte's wire: nothing of ours below them
    "model": frozenset(),
    "protocol": frozenset({"model"}),
    # the REST API, and where rejected records go
    "ontraport": frozenset({"model"}),
    "rejected": frozenset({"model", "protocol"}),
    # the per-record sync log: its rows, and where they go (a file, or the rejected-records bucket)
    "synclog": frozenset({"model", "protocol", "rejected"}),
    # the config, generated into the spec: the bucket's settings model and the API's window, nothing else
    "config_keys": frozenset(),
    "config": frozenset({"config_keys", "rejected.settings", "synclog.settings", "ontraport.settings"}),
    "spec": frozenset({"config"}),
    # reads of the live account, then writing one object, then one whole sync
    "account": frozenset({"model", "protocol", "ontraport", "config"}),
    "write": frozenset({"model", "protocol", "ontraport", "rejected", "synclog", "account"}),
    "sync": frozenset(
        {"model", "protocol", "ontraport", "rejected", "synclog", "config", "spec", "account", "write"}
    ),
    # the account doctor: reads of the live account and one test contact, beside a sync
    "doctor": frozenset({"model", "ontraport", "config", "account"}),
    # the entry points and the failure table on top
    "failures": frozenset({"model", "protocol", "ontraport", "rejected"}),
    "destination": frozenset(
        {
            "model",
            "protocol",
            "ontraport",
            "rejected",
            "synclog",
            "config",
            "spec",
            "account",
            "sync",
            "failures",
            "doctor",
        }
    ),
    "run": frozenset({"spec", "destination"}),
    "spec_file": frozenset({"destination"}),
    "__init__": frozenset({"destination"}),
}


def modules() -> Iterator[tuple[str, Path]]:
    """(`write.batch`, path) for every module of the package; a package's own name for its __init__."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if len(parts) > 1 and parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def imports(path: Path) -> set[str]:
    """Our modules this file imports (as `write.batch`), wherever in the file: a lazy import counts."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found.update(name.removeprefix(f"{PACKAGE}.") for name in names if name.startswith(f"{PACKAGE}."))
    return found


def unit(module: str) -> str:
    """The floor a module lives on: its subpackage, or itself for a top-level module."""
    return module.split(".", maxsplit=1)[0]


def test_every_module_lives_on_a_floor() -> None:
    homeless = sorted({unit(module) for module, _ in modules()} - set(LAYERS))
    assert not homeless, f"modules outside LAYERS (place them on a floor): {homeless}"


def test_no_module_imports_a_floor_above_its_own() -> None:
    upward = []
    for module, path in modules():
        allowed = LAYERS[unit(module)]
        for target in sorted(imports(path)):
            if unit(target) == unit(module) or unit(target) in allowed or target in allowed:
                continue
            upward.append(f"{module} imports {target}")
    assert not upward, "imports that run back up (or sideways):\n" + "\n".join(upward)


def test_the_floors_are_an_order_without_circles() -> None:
    placed: list[str] = []
    remaining = {name: {unit(dep) for dep in deps} for name, deps in LAYERS.items()}
    while remaining:
        ready = sorted(name for name, deps in remaining.items() if deps <= set(placed))
        assert ready, f"LAYERS has a circle among {sorted(remaining)}"
        placed.extend(ready)
        for name in ready:
            del remaining[name]


def test_no_circle_among_the_modules_themselves() -> None:
    graph = {module: imports(path) for module, path in modules()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                raise AssertionError("import circle: " + " -> ".join([*path, module, target]))
            if target in graph and state.get(target) is None:
                visit(target, [*path, module])
        state[module] = 2

    for module in graph:
        if state.get(module) is None:
            visit(module, [])


def test_the_subpackages_init_files_are_empty() -> None:
    """Importing a light module (config, spec) must not import airbyte-cdk through a package."""
    for path in sorted(ROOT.glob("*/__init__.py")):
        assert path.read_text(encoding="utf-8") == "", f"{path.relative_to(ROOT.parent)} is not empty"


def test_the_check_sees_an_import_that_runs_back_up(tmp_path: Path) -> None:
    """The checker itself: an import of sync/ from write/ is found."""
    source = tmp_path / "module.py"
    source.write_text("from destination_ontraport.sync.report import SyncReport\n", encoding="utf-8")
    (target,) = imports(source)
    assert unit(target) == "sync" and unit(target) not in LAYERS["write"]
