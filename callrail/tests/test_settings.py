import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "TWILIO_ACCOUNT_SID")}
    clean.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; from django.conf import settings; django.setup(); print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "callrail.settings"},
        capture_output=True,
        text=True,
    )


def test_a_missing_secret_fails_loudly_without_debug():
    result = load_settings(DEBUG="false", DATABASE_URL="postgres://u@127.0.0.1:5432/callrail")
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


def test_debug_runs_without_a_secret():
    assert load_settings(DEBUG="true").returncode == 0


def test_a_malformed_boolean_fails_loudly():
    result = load_settings(DEBUG="maybe", SECRET_KEY="x")
    assert result.returncode != 0


def test_twilio_sid_without_token_fails_loudly():
    result = load_settings(DEBUG="true", TWILIO_ACCOUNT_SID="AC123", TWILIO_AUTH_TOKEN="")
    assert result.returncode != 0
    assert "TWILIO_AUTH_TOKEN" in result.stderr
