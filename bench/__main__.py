"""`make bench`: run every bench/bench_*.py module's ``main()`` in turn.

Each benchmark measures its own baseline in the same run and prints ratios
against it, so figures compare across machines. Pass module names to run a subset:
``python -m bench dni voice``.
"""

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    names = sorted(
        info.name[len("bench_") :]
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name.startswith("bench_")
    )
    selected = argv or names
    for name in selected:
        print(f"\n=== bench {name} ===", flush=True)
        module = importlib.import_module(f"bench.bench_{name}")
        module.main()
    if not names:
        print("no benchmarks found")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
