"""Doors (REST, GraphQL, admin) read through selectors and write through services.

import-linter checks which modules import which; it cannot see a query written in a door. This test
reads every door module and refuses a model manager (`X.objects`) or a write method called on a model
instance or queryset (`save`, `delete`, `update`, `create`, `bulk_create`).
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("users", "points", "vouchers", "integrations")
WRITES = {"save", "delete", "update", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def door_modules() -> list[Path]:
    found = []
    for app in APPS:
        for door in ("api", "admin"):
            base = ROOT / app / door
            found += sorted(base.rglob("*.py")) if base.is_dir() else []
            single = ROOT / app / f"{door}.py"
            found += [single] if single.exists() else []
    return sorted(found)


def offences(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append(f"{path.relative_to(root)}:{node.lineno} uses a model manager")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITES
            and not _is_super_call(node.func.value)
        ):
            found.append(f"{path.relative_to(root)}:{node.lineno} calls .{node.func.attr}()")
    return sorted(found)


def _is_super_call(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"


def test_there_are_doors_to_check():
    assert len(door_modules()) >= 10


@pytest.mark.parametrize("path", door_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_door_neither_queries_nor_writes_models(path):
    assert offences(path) == []


def test_the_check_finds_a_query_and_a_write(tmp_path):
    door = tmp_path / "door.py"
    door.write_text("def list(self):\n    Brand.objects.all()\n    self.obj.save()\n    super().save()\n")
    assert offences(door, root=tmp_path) == ["door.py:2 uses a model manager", "door.py:3 calls .save()"]
