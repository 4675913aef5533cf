"""Run a command (the test suite) with real PostgreSQL and Redis servers.

    python -m callrail.testenv pytest [args]

Uses ``DATABASE_URL`` when it points at PostgreSQL, otherwise starts a throwaway
cluster on a free loopback port; uses ``REDIS_URL`` when set, otherwise starts
the embedded redis-server. Everything it started is stopped and removed after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from callrail.embedded import start_postgres, start_redis


def main(argv: list[str]) -> int:
    if not argv:
        argv = [sys.executable, "-m", "pytest"]
    env = dict(os.environ)
    started = []
    try:
        if not env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            postgres = start_postgres()
            started.append(postgres)
            env["DATABASE_URL"] = postgres.url
            print(f"testenv: throwaway PostgreSQL at {postgres.url}", file=sys.stderr)
        if not env.get("REDIS_URL"):
            redis_dir = Path(tempfile.mkdtemp(prefix="callrail-redis-"))
            redis_server = start_redis(redis_dir / "redis.sock")
            started.append(redis_server)
            env["REDIS_URL"] = redis_server.url
            print(f"testenv: embedded Redis at {redis_server.url}", file=sys.stderr)
        env.setdefault("SECRET_KEY", "test-secret-key")
        env.setdefault("CELERY_BROKER_URL", "memory://")
        return subprocess.call(argv, env=env)
    finally:
        for server in reversed(started):
            server.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
