"""The mypy plugin gives a factory call its model's type, as ``Factory.create()`` has."""

import textwrap
from pathlib import Path

from mypy import api

PLUGIN = Path(__file__).resolve().parent.parent / "mypy_factory_boy.py"

SOURCE = """
import factory

class Model:
    size: int = 0

class Typed(factory.Factory[Model]):
    class Meta:
        model = Model

class Untyped(factory.Factory):
    class Meta:
        model = Model

reveal_type(Typed())
reveal_type(Typed(size=2).size)
reveal_type(Untyped())
Typed().missing
"""


def test_a_factory_call_is_typed_as_its_model(tmp_path: Path) -> None:
    (tmp_path / "sample.py").write_text(textwrap.dedent(SOURCE))
    (tmp_path / "mypy.ini").write_text(f"[mypy]\nplugins = {PLUGIN}\n")
    out, _, status = api.run(
        [
            "--config-file",
            str(tmp_path / "mypy.ini"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
            str(tmp_path / "sample.py"),
        ]
    )
    notes = [line.split(": ", 1)[1] for line in out.splitlines()]
    assert notes == [
        'note: Revealed type is "sample.Model"',
        'note: Revealed type is "int"',
        'note: Revealed type is "sample.Untyped"',  # no model named: the factory's own type
        'error: "Model" has no attribute "missing"  [attr-defined]',
    ]
    assert status == 1
