"""airbyte-source-callrail (0.1.14): check, discover and read every stream, pages included.

The connector pages by the ``Link: <…>; rel="next"`` header, which the offset
pagination sends (api/v3/pagination.py).
"""

import json

import pytest

from api.tests.clients.conftest import ROWS
from api.tests.clients.venvs import run_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_the_airbyte_connector_reads_every_stream(client_env):
    result = run_client("airbyte", "airbyte_read.py", client_env)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["check"]["status"] == "SUCCEEDED", report
    assert report["errors"] == []
    assert report["records"] == {"calls": ROWS, "conversations": ROWS, "users": ROWS + 1, "companies": ROWS + 1}
