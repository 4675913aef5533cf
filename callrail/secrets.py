"""The embedded default's Django secret: generated once into ``VAR_DIR`` and read from then on."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

SECRET_FILE = "secret_key"


def var_secret_key(var_dir: Path) -> str:
    """The secret kept in ``var_dir/secret_key`` (mode 0600), created on first use.

    Several processes start together on first run (web, worker, beat, a management
    command): the file is written aside and linked into place, which fails if another
    process got there first, so every process reads the same complete secret.
    """
    path = var_dir / SECRET_FILE
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    var_dir.mkdir(parents=True, exist_ok=True)
    draft = var_dir / f".{SECRET_FILE}.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(50) + "\n")
        # Another process got there first: its secret is the one.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> str:
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"{path} is empty: delete it to have a new secret generated.")
    return value


def var_dir_private(var_dir: Path) -> None:
    """Make ``var_dir`` and what it holds (the SQLite database, the Redis socket and log, the
    demo credentials) readable by their owner only, including files left by older versions."""
    var_dir.mkdir(parents=True, exist_ok=True)
    for path in (var_dir, *var_dir.iterdir()):
        try:
            if path.is_symlink() or path.stat().st_uid != os.geteuid():
                continue
            mode = path.stat().st_mode & 0o777
            private = mode & 0o700
            if mode != private:
                path.chmod(private)
        except OSError:  # gone meanwhile, or not ours to change
            continue
