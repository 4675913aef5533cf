"""The dashboard's front-end files: built from npm by `make assets` (also run by `make run`,
`make test` and the Docker image), never committed, served by whitenoise, collected by
collectstatic."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
VENDOR = (
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "vendor/chart.js/chart.umd.min.js",
    "vendor/tom-select/tom-select.complete.min.js",
    "vendor/tom-select/tom-select.bootstrap5.min.css",
)


def test_the_npm_packages_are_pinned_exactly():
    package = json.loads((ROOT / "package.json").read_text())
    dependencies = package["dependencies"]
    assert set(dependencies) >= {"bootstrap", "bootstrap-icons", "chart.js", "tom-select"}
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", version) for version in dependencies.values()), dependencies
    assert dependencies["bootstrap"].startswith("5.3.") and dependencies["chart.js"].startswith("4.")
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for name, version in dependencies.items():
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


@pytest.mark.parametrize("path", VENDOR)
def test_the_built_files_are_found_by_the_static_finders(path):
    assert finders.find(path), f"{path} missing: run `make assets`"


def test_htmx_comes_from_django_htmx():
    assert finders.find("django_htmx/htmx-2.min.js")


def test_the_build_output_is_never_committed():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "dashboard/static/vendor/" in ignored
    assert "dashboard/static/vendor" in (ROOT / ".dockerignore").read_text().splitlines()


def test_make_run_test_and_the_image_build_the_assets():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: .*\$\(ASSETS\)", makefile, re.MULTILINE)
    assert re.search(r"^test: .*\$\(ASSETS\)", makefile, re.MULTILINE)
    assert re.search(
        r"^\$\(ASSETS\): node_modules/\.installed bin/build-assets\.mjs\n\tnode bin/build-assets\.mjs$",
        makefile,
        re.MULTILINE,
    )
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "RUN npm ci --omit=dev" in dockerfile
    assert "RUN node bin/build-assets.mjs" in dockerfile
    assert "COPY --from=assets /app/dashboard/static/vendor dashboard/static/vendor" in dockerfile


@pytest.mark.django_db
def test_whitenoise_serves_them(client):
    response = client.get("/static/vendor/bootstrap/bootstrap.min.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert client.get("/static/dashboard/shell.js").status_code == 200


def test_collectstatic_gathers_them_for_production(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    for path in (*VENDOR, "dashboard/dashboard.css", "django_htmx/htmx-2.min.js"):
        assert (tmp_path / path).is_file(), path
    assert (tmp_path / "vendor/bootstrap/bootstrap.min.css.gz").is_file()
