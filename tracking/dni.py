"""The public endpoints swap.js talks to, from customers' own sites.

    GET  /companies/<company_id>/swap.js     the snippet with the company's configuration
    POST /dni/<company_id>/session           a page view: which numbers to show
    POST /dni/<company_id>/heartbeat         the page is still open: keep the session alive
    POST /dni/<company_id>/form              a form was submitted on the site
    POST /dni/<company_id>/click             a tel: link or call button was clicked

Bodies are JSON. swap.js sends them as ``text/plain`` so browsers make a
"simple" cross-origin request without a CORS preflight round trip; any content
type is accepted. Answers are JSON with ``Cache-Control: no-store``; bad input
gets a 4xx ``{"error": ...}``, a store that is down a 503 (the page then keeps
its own numbers). Requests from obvious bots get no number: crawlers must see
the business's real number, and must not drain pools.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from accounts.models import Company
from callrail.deferred.services import enqueue_or_skip
from callrail.json_body import json_loads_bounded
from callrail.redis import get_redis
from tracking.clicks import Click, click_record
from tracking.config_cache import CompanyConfig, company_config
from tracking.forms_capture import FormCapture, form_submission_capture
from tracking.tasks import page_views_flush_task
from tracking.visits import VisitReport, visit_report

logger = logging.getLogger(__name__)

MAX_BODY = 32 * 1024
_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# Crawlers, link previewers, monitors and HTTP libraries. ("bot" alone would also
# catch phone brands such as CUBOT, so it must be followed by a separator.)
_BOT = re.compile(
    r"bot[/\-_;]|crawl|spider|slurp|scrapy|curl/|wget/|python-requests|python-urllib|httpclient|go-http-client|"
    r"facebookexternalhit|embedly|lighthouse|pingdom|uptimerobot|feedfetcher|bingpreview|yandex|baidu|"
    r"semrush|ahrefs|mj12",
    re.I,
)
SWAP_JS = Path(settings.BASE_DIR) / "static" / "swap" / "swap.js"


class DniResponse(JsonResponse):
    """A JSON answer that runs follow-up work once the body has been sent.

    WSGI servers call ``close()`` after writing the response, so follow-up work
    (asking a worker to write buffered page views) does not delay the visitor.
    """

    def __init__(self, data: Any, *, after: Sequence[Callable[[], object]] = (), **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self["Cache-Control"] = "no-store"
        self._after = list(after)

    def close(self) -> None:
        for step in self._after:
            try:
                step()
            except Exception:
                logger.exception("DNI follow-up work failed")
        self._after = []
        super().close()


def error(message: str, status: int) -> DniResponse:
    return DniResponse({"error": message}, status=status)


@lru_cache(maxsize=2048)
def is_bot(user_agent: str) -> bool:
    # Cached: most requests come from a few hundred browser versions, and the pattern
    # is searched through the whole string.
    return not user_agent or bool(_BOT.search(user_agent))


def client_ip(request: HttpRequest) -> str | None:
    if getattr(settings, "DNI_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45] or None
    return request.META.get("REMOTE_ADDR") or None


def _text(data: dict[str, Any], key: str, limit: int = 4000) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key} must be a string.")
    return value[:limit]


def _url(data: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = _text(data, key)
    if not value:
        if required:
            raise ValueError(f"{key} is required.")
        return ""
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"{key} must be an http(s) URL.")
    return value


class BodyTooLarge(ValueError):
    pass


def _parse(request: HttpRequest) -> dict[str, Any]:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_BODY or len(request.body) > MAX_BODY:  # checked before the body is read
        raise BodyTooLarge("The request body is too large.")
    try:
        data = json_loads_bounded(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("The request body must be a JSON object.") from exc
    if not isinstance(data, dict):
        raise ValueError("The request body must be a JSON object.")
    for key in ("v", "s"):
        value = data.get(key)
        if not isinstance(value, str) or not _ID.match(value):
            raise ValueError(f"{key} must be 8 to 64 letters, digits, '-' or '_'.")
    return data


def _company(company_id: str, request: HttpRequest) -> CompanyConfig | DniResponse:
    config = company_config(company_id)
    if config is None or not config.active:
        return error("Unknown company.", 404)
    if not config.origin_allowed(request.headers.get("Origin")):
        return error("This site may not use this company's numbers.", 403)
    return config


def _report(request: HttpRequest, data: dict[str, Any], *, page_view: bool) -> VisitReport:
    cookies = data.get("ck") or {}
    if not isinstance(cookies, dict):
        raise ValueError("ck must be an object.")
    return VisitReport(
        visitor_id=data["v"],
        session_key=data["s"],
        page_url=_url(data, "u", required=True),
        page_referrer=_url(data, "r"),
        landing_url=_url(data, "l"),
        landing_referrer=_url(data, "lr"),
        returning_visitor=bool(data.get("rv")),
        first_contact=bool(data.get("n")),
        cookies={str(k)[:40]: str(v)[:500] for k, v in list(cookies.items())[:20]},
        user_agent=request.headers.get("User-Agent", "")[:1000],
        ip=client_ip(request),
        page_view=page_view,
        debug=bool(data.get("d")),
    )


def _visit(request: HttpRequest, company_id: str, *, page_view: bool) -> DniResponse:
    if request.method != "POST":
        return error("Use POST.", 405)
    config = _company(company_id, request)
    if isinstance(config, DniResponse):
        return config
    try:
        data = _parse(request)
        report = _report(request, data, page_view=page_view)
    except ValueError as exc:
        return error(str(exc), 400)
    if is_bot(report.user_agent):
        return DniResponse({"numbers": {}, "bot": True})
    try:
        answer = visit_report(config, report)
    except (redis.RedisError, DatabaseError):
        logger.exception("DNI stores unavailable for %s", config.public_id)
        return error("Numbers are unavailable right now.", 503)
    body: dict[str, Any] = {"numbers": {k: v.lstrip("+") for k, v in answer.numbers.items()}, "ttl": answer.ttl}
    if answer.first_touch:
        body["ft"] = answer.first_touch
    if answer.debug is not None:
        body["debug"] = answer.debug
    # Buffered page views are written by a worker, never on a visitor's request.
    # If the broker is down the buffer waits for the periodic flush (dni-page-views-flush).
    after = [lambda scope=scope: enqueue_or_skip(page_views_flush_task, scope) for scope in answer.flush]
    return DniResponse(body, after=after)


@csrf_exempt
def session(request: HttpRequest, company_id: str) -> DniResponse:
    return _visit(request, company_id, page_view=True)


@csrf_exempt
def heartbeat(request: HttpRequest, company_id: str) -> DniResponse:
    return _visit(request, company_id, page_view=False)


@csrf_exempt
def form(request: HttpRequest, company_id: str) -> DniResponse:
    if request.method != "POST":
        return error("Use POST.", 405)
    config = _company(company_id, request)
    if isinstance(config, DniResponse):
        return config
    if not config.form_capture:
        return error("Form capture is off for this company.", 403)
    try:
        data = _parse(request)
        fields = data.get("f")
        if not isinstance(fields, dict) or not fields:
            raise ValueError("f must be an object of form fields.")
        capture = FormCapture(
            visitor_id=data["v"],
            session_key=data["s"],
            form_url=_url(data, "u", required=True),
            landing_url=_url(data, "l"),
            landing_referrer=_url(data, "lr"),
            form_name=_text(data, "n", 255),
            fields={str(k)[:255]: v for k, v in list(fields.items())[:200]},
            user_agent=request.headers.get("User-Agent", "")[:1000],
            ip=client_ip(request),
        )
    except ValueError as exc:
        return error(str(exc), 400)
    if is_bot(capture.user_agent):
        return DniResponse({"bot": True})
    try:
        submission = form_submission_capture(config, capture)
    except DatabaseError:
        logger.exception("Could not store a form submission for %s", config.public_id)
        return error("The form could not be recorded right now.", 503)
    return DniResponse({"id": submission.public_id}, status=201)


@csrf_exempt
def click(request: HttpRequest, company_id: str) -> DniResponse:
    if request.method != "POST":
        return error("Use POST.", 405)
    config = _company(company_id, request)
    if isinstance(config, DniResponse):
        return config
    try:
        data = _parse(request)
        entry = Click(
            visitor_id=data["v"],
            session_key=data["s"],
            phone_number=re.sub(r"\D", "", _text(data, "p", 40))[:20],
            page_url=_url(data, "u", required=True),
        )
    except ValueError as exc:
        return error(str(exc), 400)
    if is_bot(request.headers.get("User-Agent", "")):
        return DniResponse({"bot": True})
    try:
        click_record(config, entry)
    except DatabaseError:
        logger.exception("Could not store a click for %s", config.public_id)
        return error("The click could not be recorded right now.", 503)
    return DniResponse({}, status=201)


@cache
def _swap_source(mtime: float) -> str:
    """swap.js as served: minified, with local names shortened (about 40 % smaller gzipped).

    Falls back to the source without comment lines and indentation if the
    minifier fails, so the snippet is always served.
    """
    source = SWAP_JS.read_text()
    try:
        from calmjs.parse import es5
        from calmjs.parse.unparsers.es5 import minify_print

        return minify_print(es5(source), obfuscate=True, obfuscate_globals=False, shadow_funcname=True) + "\n"
    except Exception:
        logger.exception("Could not minify swap.js; serving it unminified")
    lines = [line.strip() for line in source.splitlines()]
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"


def swap_source() -> str:
    return _swap_source(SWAP_JS.stat().st_mtime)


def swap_config(request: HttpRequest, config: CompanyConfig) -> dict[str, Any]:
    base = getattr(settings, "DNI_PUBLIC_URL", "") or request.build_absolute_uri("/").rstrip("/")
    return {
        "c": config.public_id,
        "e": f"{base}/dni/{config.public_id}/",
        "t": config.targets,
        "k": 1 if config.consent_required else 0,
        "f": 1 if config.form_capture else 0,
        "cd": config.cookie_days,
        "ttl": config.session_timeout,
    }


@require_GET
def swap_js(request: HttpRequest, company_id: str, token: str | None = None) -> HttpResponse:
    config = company_config(company_id)
    if config is None:
        return HttpResponse("/* unknown company */\n", content_type="application/javascript", status=404)
    if token is not None and not _token_matches(config, token):
        return HttpResponse("/* unknown company */\n", content_type="application/javascript", status=404)
    headers = {"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"}
    if not config.active:
        # A disabled company's snippet does nothing (and the page logs no error).
        return HttpResponse("/* disabled */\n", content_type="application/javascript", headers=headers)
    cfg = json.dumps(swap_config(request, config), separators=(",", ":"))
    body = swap_source().replace("'CALLTRK_CONFIG'", cfg, 1).replace('"CALLTRK_CONFIG"', cfg, 1)
    return HttpResponse(body, content_type="application/javascript; charset=utf-8", headers=headers)


def _token_matches(config: CompanyConfig, token: str) -> bool:
    return Company.objects.filter(pk=config.id, script_token=token).exists()


def baseline(request: HttpRequest) -> JsonResponse:
    """Benchmark baseline: a minimal view doing one Redis round trip (enabled by DNI_BENCH_BASELINE)."""
    value = get_redis().incr("dni:bench:baseline")
    response = JsonResponse({"n": value})
    response["Cache-Control"] = "no-store"
    return response
