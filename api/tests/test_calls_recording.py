from urllib.parse import urlsplit

import pytest

from api.tests.factories import CallFactory

pytestmark = pytest.mark.django_db


def url(account, call):
    return f"/v3/a/{account.public_id}/calls/{call.public_id}/recording.json"


def test_it_gives_a_lasting_link_that_plays_the_recording(api_client, client, account, company):
    call = CallFactory(company=company, recording_url="https://api.twilio.com/2010-04-01/Recordings/RE1")
    response = api_client.get(url(account, call))
    assert response.status_code == 200
    link = response.json()["url"]
    assert set(response.json()) == {"url"}
    assert f"/calls/{call.public_id}/recording/redirect?access_key=" in link
    parts = urlsplit(link)
    audio = client.get(f"{parts.path}?{parts.query}")
    assert audio.status_code == 200
    assert audio["Content-Type"].startswith("audio/")
    assert client.get(parts.path + "?access_key=forged").status_code == 404


def test_the_player_page_embeds_the_audio(api_client, client, account, company):
    call = CallFactory(company=company, recording_url="https://api.twilio.com/2010-04-01/Recordings/RE1")
    player = api_client.get(f"/v3/a/{account.public_id}/calls/{call.public_id}.json").json()["recording_player"]
    parts = urlsplit(player)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    assert b"<audio" in page.content


def test_hipaa_links_expire(api_client, account, company):
    account.hipaa_account = True
    account.save()
    call = CallFactory(company=company, recording_url="https://api.twilio.com/2010-04-01/Recordings/RE1")
    assert "&expires=" in api_client.get(url(account, call)).json()["url"]


def test_a_hipaa_accounts_player_plays_with_short_lived_links(api_client, client, account, company):
    import re

    account.hipaa_account = True
    account.save()
    call = CallFactory(company=company, recording_url="https://api.twilio.com/2010-04-01/Recordings/RE1")
    player = api_client.get(f"/v3/a/{account.public_id}/calls/{call.public_id}.json").json()["recording_player"]
    assert "&expires=" in player
    parts = urlsplit(player)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    source = re.search(rb'src="([^"]+)"', page.content).group(1).decode().replace("&amp;", "&")
    assert "&expires=" in source
    assert client.get(source).status_code == 200


def test_calls_without_recordings_are_404(api_client, account, company):
    call = CallFactory(company=company)
    response = api_client.get(url(account, call))
    assert response.status_code == 404
    assert "error" in response.json()


def test_it_hides_other_accounts(api_client, account, other_company):
    call = CallFactory(company=other_company, recording_url="https://api.twilio.com/x")
    assert api_client.get(url(account, call)).status_code == 404
