"""Imports run one way (docs/architecture.md): interface layers on top, domain apps below.

    api, dashboard  ->  integrations  ->  telephony  ->  tracking  ->  accounts

An app may import the apps below it (and the project package ``callrail``), never one above it or a
sibling interface layer. Tests and migrations are exempt: a test may build its rows with any factory.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Rank of each app: an import must go to a strictly lower rank.
RANKS = {"accounts": 0, "tracking": 1, "telephony": 2, "integrations": 3, "api": 4, "dashboard": 4}
# The project package wires everything together (root URLconf, Celery app): only these modules may
# import apps of any rank; the rest of callrail/ is shared plumbing that imports no app.
WIRING = {"callrail/urls.py", "callrail/celery.py", "callrail/run.py"}


def _imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _production_modules(app: str) -> list[Path]:
    return [
        path for path in (ROOT / app).rglob("*.py") if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)
    ]


@pytest.mark.parametrize("app", sorted(RANKS))
def test_an_app_imports_only_the_apps_below_it(app):
    modules = _production_modules(app)
    assert modules
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            other for other in _imported_packages(path) & RANKS.keys() if other != app and RANKS[other] >= RANKS[app]
        )
        for path in modules
    }
    assert {path: apps for path, apps in offenders.items() if apps} == {}


def test_the_project_package_imports_apps_only_where_it_wires_them():
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) & RANKS.keys())
        for path in _production_modules("callrail")
        if str(path.relative_to(ROOT)) not in WIRING
    }
    assert {path: apps for path, apps in offenders.items() if apps} == {}
