import pytest
import redis

pytestmark = pytest.mark.django_db


def test_it_reports_ok_when_database_and_redis_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_it_names_redis_when_redis_is_down(client, monkeypatch, tmp_path):
    dead = redis.Redis.from_url(f"unix://{tmp_path}/nothing.sock")
    monkeypatch.setattr("callrail.views.get_redis", lambda: dead)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert response.json()["redis"].startswith("error")


def test_the_home_page_links_docs_demo_and_admin(client):
    # Signed out, the home page is the dashboard's sign-in.
    body = client.get("/", follow=True).content.decode()
    assert "/v3/docs" in body and "/demo/" in body and "/admin/" in body
