"""integrations/ sits below the interface layers: it never imports api/ or dashboard/ (they import it)."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[1]
INTERFACE_LAYERS = {"api", "dashboard"}


def _imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_no_module_imports_an_interface_layer():
    modules = [path for path in APP.rglob("*.py") if not {"tests", "migrations"} & set(path.relative_to(APP).parts)]
    assert len(modules) > 10
    offenders = {str(path.relative_to(APP)): sorted(_imported_packages(path) & INTERFACE_LAYERS) for path in modules}
    assert {path: layers for path, layers in offenders.items() if layers} == {}
