"""The apps' dependencies go one way: `campaigns` builds on `capacity`, never the reverse
(issue 16). The imports of campaigns' data reach capacity's import jobs by registering
themselves (`campaigns.apps`, `capacity.imports.register`), so no module of `capacity`
imports `campaigns`, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_capacity_does_not_import_campaigns():
    modules = sorted((ROOT / "capacity").rglob("*.py"))
    assert len(modules) > 10  # the walk found the app

    offending = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "campaigns"
        )
        for path in modules
    }

    assert {path: names for path, names in offending.items() if names} == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from campaigns.models import Campaign\n    import campaigns.tasks\n")
    assert imported_modules(module) == {"campaigns.models", "campaigns.tasks"}
