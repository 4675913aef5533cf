"""Run airbyte-source-callrail (0.1.14) against our API: every operation of an Airbyte
source (spec, check, discover, read), full refresh and incremental.

    airbyte_ops.py full                    spec, check, discover; a full-refresh read of
                                           every stream; an incremental read, whose
                                           final state is written to STATE_FILE
    airbyte_ops.py incremental             an incremental read from STATE_FILE's state

The connector hardcodes ``url_base: https://api.callrail.com/v3/a/`` in its manifest,
so its users point it elsewhere by editing that one line: this runner does the same on
a copy of the package. Prints a JSON report: records per stream (and their ids), each
record checked against the stream's JSON schema from discover, and any error or
failure the connector emitted.
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


def main(mode: str) -> None:
    sys.path.insert(0, str(patched_package()))
    import jsonschema
    from airbyte_cdk.entrypoint import AirbyteEntrypoint
    from source_callrail import SourceCallrail

    work = Path(tempfile.mkdtemp())
    state_file = Path(os.environ["STATE_FILE"])
    config = {
        "api_key": os.environ["CALLRAIL_KEY"],
        "account_id": os.environ["CALLRAIL_ACCOUNT_ID"],
        "start_date": (date.today() - timedelta(days=20)).isoformat(),
    }
    (work / "config.json").write_text(json.dumps(config))
    entrypoint = AirbyteEntrypoint(SourceCallrail())
    report: dict = {"errors": []}
    schemas: dict = {}

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

    def read(name: str, catalog: dict, *extra: str) -> None:
        (work / "catalog.json").write_text(json.dumps(catalog))
        records: dict = {}
        invalid: dict = {}
        states = []
        for message in run(
            "read", "--config", str(work / "config.json"), "--catalog", str(work / "catalog.json"), *extra
        ):
            if message["type"] == "RECORD":
                stream, data = message["record"]["stream"], message["record"]["data"]
                records.setdefault(stream, []).append(data["id"])
                for error in jsonschema.Draft7Validator(schemas[stream]).iter_errors(data):
                    field = ".".join(str(part) for part in error.path)
                    invalid.setdefault(stream, {})[field] = error.message
            if message["type"] == "STATE":
                states.append(message["state"])
        report[name] = {"records": records, "invalid": invalid}
        if states:
            # The state to resume from: the last message for each stream.
            last = {json.dumps(state.get("stream", {}).get("stream_descriptor")): state for state in states}
            report[name]["state"] = list(last.values())
            state_file.write_text(json.dumps(list(last.values())))

    discovered = next(
        message["catalog"]
        for message in run("discover", "--config", str(work / "config.json"))
        if message["type"] == "CATALOG"
    )
    schemas.update({stream["name"]: stream["json_schema"] for stream in discovered["streams"]})

    def configured(sync_mode: str) -> dict:
        return {
            "streams": [
                {
                    "stream": stream,
                    "sync_mode": sync_mode,
                    "destination_sync_mode": "append" if sync_mode == "incremental" else "overwrite",
                    **({"cursor_field": stream["default_cursor_field"]} if sync_mode == "incremental" else {}),
                }
                for stream in discovered["streams"]
            ]
        }

    if mode == "full":
        report["spec"] = next(m["spec"] for m in run("spec") if m["type"] == "SPEC")["connectionSpecification"][
            "required"
        ]
        report["check"] = next(
            m["connectionStatus"]
            for m in run("check", "--config", str(work / "config.json"))
            if m["type"] == "CONNECTION_STATUS"
        )
        report["discover"] = {
            stream["name"]: {
                "sync_modes": sorted(stream["supported_sync_modes"]),
                "cursor": stream.get("default_cursor_field"),
            }
            for stream in discovered["streams"]
        }
        read("full_refresh", configured("full_refresh"))
        read("incremental", configured("incremental"))
    else:
        (work / "state.json").write_text(state_file.read_text())
        read("incremental_again", configured("incremental"), "--state", str(work / "state.json"))
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
