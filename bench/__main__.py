"""`make bench`: run every bench/bench_*.py module's ``main()`` in turn.

Each benchmark measures its own baseline in the same run and prints ratios
against it, so figures compare across machines. Pass module names to run a subset:
``python -m bench dni voice``.

Every benchmark runs in its own process on an empty database (a fresh one per
benchmark on the PostgreSQL server of ``DATABASE_URL``) and an empty Redis, so
no benchmark sees another's rows or pools.
"""

import os
import pkgutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def benchmark_names() -> list[str]:
    return sorted(
        info.name[len("bench_") :]
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if info.name.startswith("bench_")
    )


def fresh_database(url: str, name: str) -> str:
    """Create (or recreate) database ``bench_<name>`` beside ``url``'s and return its URL."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres"):
        return url
    import psycopg

    database = f"bench_{name}"
    admin = urlunsplit((parts.scheme.replace("postgresql", "postgres"), parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def empty_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def run_one(name: str) -> int:
    env = dict(os.environ)
    if env.get("DATABASE_URL"):
        env["DATABASE_URL"] = fresh_database(env["DATABASE_URL"], name)
    if env.get("REDIS_URL"):
        empty_redis(env["REDIS_URL"])
    code = f"import bench.bench_{name} as module; module.main()"
    return subprocess.call([sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parent.parent)


def main(argv: list[str]) -> int:
    names = benchmark_names()
    if not names:
        print("no benchmarks found")
        return 0
    unknown = [name for name in argv if name not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    failed = []
    for name in argv or names:
        print(f"\n=== bench {name} ===", flush=True)
        if run_one(name) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
