"""Safe defaults: the embedded default makes its own secret; production still needs one;
cookies and HSTS follow how the site is served."""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json, django; from django.conf import settings; django.setup(); print(json.dumps({"
    "'secret': settings.SECRET_KEY, 'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS,"
    "'secure': settings.SESSION_COOKIE_SECURE, 'csrf_secure': settings.CSRF_COOKIE_SECURE,"
    "'httponly': settings.SESSION_COOKIE_HTTPONLY, 'hsts': settings.SECURE_HSTS_SECONDS,"
    "'proxy': getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)}))"
)
CLEARED = ("SECRET_KEY", "DEBUG", "DATABASE_URL", "PUBLIC_BASE_URL", "SECURE_PROXY_SSL_HEADER", "SECURE_COOKIES")


def show(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "callrail.settings"},
        capture_output=True,
        text=True,
    )


def settings_of(**env: str) -> dict:
    result = show(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_embedded_default_generates_a_private_secret_once_with_debug_off(tmp_path):
    first = settings_of(VAR_DIR=str(tmp_path))
    assert first["debug"] is False and "127.0.0.1" in first["hosts"]
    secret_file = tmp_path / "secret_key"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) & 0o077 == 0
    assert first["secret"] == secret_file.read_text().strip() and len(first["secret"]) >= 50
    assert settings_of(VAR_DIR=str(tmp_path))["secret"] == first["secret"]  # reused
    # Another installation has another secret (and so another simulated-carrier token).
    assert settings_of(VAR_DIR=str(tmp_path / "other"))["secret"] != first["secret"]


def test_older_world_readable_var_files_are_made_private(tmp_path):
    database = tmp_path / "db.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    settings_of(VAR_DIR=str(tmp_path))
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_production_without_a_secret_still_refuses_to_start(tmp_path):
    result = show(VAR_DIR=str(tmp_path), DATABASE_URL="postgres://u@127.0.0.1:5432/callrail")
    assert result.returncode != 0 and "SECRET_KEY is required" in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_cookies_are_secure_over_https_and_hsts_is_configurable(tmp_path):
    plain = settings_of(VAR_DIR=str(tmp_path))
    assert plain["secure"] is False and plain["httponly"] is True and plain["proxy"] is None and plain["hsts"] == 0
    https = settings_of(
        VAR_DIR=str(tmp_path), PUBLIC_BASE_URL="https://calls.example.com", SECURE_HSTS_SECONDS="31536000"
    )
    assert https["secure"] is True and https["csrf_secure"] is True and https["hsts"] == 31536000
    assert https["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    proxied = settings_of(VAR_DIR=str(tmp_path), SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert proxied["secure"] is True and proxied["proxy"] == ["HTTP_X_FORWARDED_PROTO", "https"]
