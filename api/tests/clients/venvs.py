"""Throwaway virtualenvs for the third-party CallRail clients the compatibility
tests drive (pycallrail, airbyte-source-callrail, callrail-mcp).

Their dependencies clash with ours and with each other (airbyte-cdk pins an old
pydantic, pycallrail an old aiohttp), so each gets its own venv, installed with pip
from ``requirements/<client>.txt`` (the client and every package under it, pinned as
tested, so a clean checkout builds the same environment) and reused from a cache
directory (``CLIENT_VENVS_DIR``, default ``var/client-venvs``) until that file
changes. The tests then run the clients' own code in a subprocess of that venv
against the live test server.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

# Exact versions, down to every dependency: a new release of a client or of anything
# it uses must not change what the suite checks.
REQUIREMENTS = Path(__file__).resolve().parent / "requirements"
CLIENTS: dict[str, Path] = {name: REQUIREMENTS / f"{name}.txt" for name in ("pycallrail", "airbyte", "mcp")}
# airbyte-cdk 1.0.0 (what the connector pins) does not import on Python 3.11+ (a
# dataclass default that 3.11 refuses); Airbyte runs it on 3.9/3.10.
INTERPRETERS: dict[str, tuple[str, ...]] = {"airbyte": ("python3.10", "python3.9")}
RUNNERS = Path(__file__).resolve().parent / "runners"


class InterpreterMissing(RuntimeError):
    """No Python that the client supports is installed on this machine."""


def interpreter(name: str) -> str:
    """The Python to build ``name``'s venv with (``CLIENT_PYTHON_<NAME>`` overrides)."""
    override = os.environ.get(f"CLIENT_PYTHON_{name.upper()}")
    if override:
        return override
    candidates = INTERPRETERS.get(name)
    if not candidates:
        return sys.executable
    for candidate in candidates:
        found = shutil.which(candidate)
        if found and subprocess.run([found, "-c", "import venv"], capture_output=True, check=False).returncode == 0:
            return found
        version = candidate.removeprefix("python")
        for pyenv in sorted(Path("~/.pyenv/versions").expanduser().glob(f"{version}.*"), reverse=True):
            if (pyenv / "bin" / candidate).exists():
                return str(pyenv / "bin" / candidate)
    raise InterpreterMissing(f"{name} needs one of {', '.join(candidates)}")


def venvs_dir() -> Path:
    return Path(os.environ.get("CLIENT_VENVS_DIR", str(Path(settings.BASE_DIR) / "var" / "client-venvs")))


def client_python(name: str) -> Path:
    """The python of ``name``'s venv, created and installed on first use."""
    requirements = CLIENTS[name]
    base = interpreter(name)
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    spec = f"{Path(base).name} {requirements.name} {digest}"
    root = venvs_dir()
    root.mkdir(parents=True, exist_ok=True)
    target = root / name
    python = target / "bin" / "python"
    marker = target / ".installed"
    # Parallel test runs must not build the same venv at once.
    with open(root / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists() and marker.read_text() == spec and python.exists():
            return python
        if target.exists():
            shutil.rmtree(target)
        subprocess.run([base, "-m", "venv", str(target)], check=True, capture_output=True, timeout=300)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if installed.returncode != 0:
            raise RuntimeError(f"could not install {spec}:\n{installed.stderr[-3000:]}")
        marker.write_text(spec)
    return python


def run_client(
    name: str, runner: str, env: dict[str, str], args: list[str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``runners/<runner>`` with the client's python; stdout is the runner's JSON report."""
    python = client_python(name)
    clean_env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTHON"))}
    return subprocess.run(
        [str(python), str(RUNNERS / runner), *(args or [])],
        env={**clean_env, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
