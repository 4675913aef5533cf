import gzip
import json
import re

from accounts.models import Company
from tracking.dni import SWAP_JS
from tracking.tests.factories import session_tracker


def config_of(body: str) -> dict:
    match = re.search(r"\}\)\(window,\s*document,\s*(\{.*\})\);?\s*$", body, re.S)
    assert match, body[-300:]
    return json.loads(match.group(1))


def test_it_serves_the_snippet_with_the_companys_configuration(client, company):
    session_tracker(company=company, size=4, swap_targets=["(404) 555-1234", "+1 770-555-0000"])
    company.consent_required = True
    company.form_capture = True
    company.swap_cookie_duration, company.swap_cookie_duration_unit = 30, "days"
    company.save()
    response = client.get(f"/companies/{company.public_id}/swap.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "max-age" in response["Cache-Control"]
    body = response.content.decode()
    assert "CALLTRK_CONFIG" not in body
    assert config_of(body) == {
        "c": company.public_id,
        "e": f"http://testserver/dni/{company.public_id}/",
        "t": ["4045551234", "7705550000"],
        "k": 1,
        "f": 1,
        "cd": 30,
        "ttl": 1800,
    }


def test_the_numeric_id_and_the_script_url_shape_work_too(client, company):
    session_tracker(company=company)
    assert client.get(f"/companies/{company.numeric_id}/swap.js").status_code == 200
    assert client.get(f"/companies/{company.numeric_id}/{company.script_token}/12/swap.js").status_code == 200
    assert client.get(f"/companies/{company.numeric_id}/{'0' * 20}/12/swap.js").status_code == 404


def test_unknown_and_disabled_companies(client, company):
    assert client.get("/companies/COM00000000000000000000000000000000/swap.js").status_code == 404
    company.status = Company.Status.DISABLED
    company.save()
    response = client.get(f"/companies/{company.public_id}/swap.js")
    assert response.status_code == 200
    assert "CallTrk" not in response.content.decode()


def test_the_snippet_is_at_most_3_kb_gzipped(client, company):
    session_tracker(company=company)
    body = client.get(f"/companies/{company.public_id}/swap.js").content
    size = len(gzip.compress(body, compresslevel=9))
    assert size <= 3 * 1024, f"swap.js is {size} bytes gzipped"
    # The file on disk (with its comments) is the readable source of the same code.
    assert len(body) < SWAP_JS.stat().st_size
