"""Run airbyte-source-callrail's ``check``, ``discover`` and ``read`` against our API.

The connector hardcodes ``url_base: https://api.callrail.com/v3/a/`` in its
manifest, so its users point it elsewhere by editing that one line: this runner
does the same on a copy of the package. Prints a JSON report: records per stream,
and any error or failure messages the connector emitted.
"""

import json
import os
import shutil
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path


def patched_package() -> Path:
    import importlib.util

    origin = Path(importlib.util.find_spec("source_callrail").origin).parent
    target = Path(tempfile.mkdtemp()) / "source_callrail"
    shutil.copytree(origin, target)
    manifest = target / "manifest.yaml"
    text = manifest.read_text()
    assert "https://api.callrail.com/v3/a/" in text
    manifest.write_text(text.replace("https://api.callrail.com/v3/a/", os.environ["CALLRAIL_BASE_URL"] + "a/"))
    return target.parent


def main() -> None:
    sys.path.insert(0, str(patched_package()))
    from airbyte_cdk.entrypoint import AirbyteEntrypoint
    from source_callrail import SourceCallrail

    work = Path(tempfile.mkdtemp())
    config = {
        "api_key": os.environ["CALLRAIL_KEY"],
        "account_id": os.environ["CALLRAIL_ACCOUNT_ID"],
        "start_date": (date.today() - timedelta(days=20)).isoformat(),
    }
    (work / "config.json").write_text(json.dumps(config))
    source = SourceCallrail()
    entrypoint = AirbyteEntrypoint(source)
    report: dict = {"records": {}, "errors": [], "check": None}

    def run(*args: str) -> list[dict]:
        messages = []
        for line in entrypoint.run(entrypoint.parse_args(list(args))):
            message = json.loads(line)
            messages.append(message)
            if message["type"] == "LOG" and message["log"]["level"] in ("ERROR", "FATAL"):
                report["errors"].append(message["log"]["message"][:2000])
            if message["type"] == "TRACE" and message["trace"].get("type") == "ERROR":
                report["errors"].append(message["trace"]["error"].get("message", "")[:2000])
        return messages

    for message in run("check", "--config", str(work / "config.json")):
        if message["type"] == "CONNECTION_STATUS":
            report["check"] = message["connectionStatus"]
    catalog = next(
        message["catalog"]
        for message in run("discover", "--config", str(work / "config.json"))
        if message["type"] == "CATALOG"
    )
    configured = {
        "streams": [
            {"stream": stream, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}
            for stream in catalog["streams"]
        ]
    }
    (work / "catalog.json").write_text(json.dumps(configured))
    for message in run("read", "--config", str(work / "config.json"), "--catalog", str(work / "catalog.json")):
        if message["type"] == "RECORD":
            stream = message["record"]["stream"]
            report["records"][stream] = report["records"].get(stream, 0) + 1
    print(json.dumps(report))


if __name__ == "__main__":
    main()
