"""The demo business page ``make run`` points newcomers to: a plumber's website
with the demo company's swap.js snippet, so the number swap shows at once."""

import json
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Company
from tracking.config_cache import company_config, target_key


def demo_company() -> Company | None:
    """The company ``seed_demo`` created (its id is kept in VAR_DIR/demo.json)."""
    path = Path(settings.VAR_DIR) / "demo.json"
    try:
        company_id = json.loads(path.read_text()).get("company_id")
    except (OSError, ValueError):
        return None
    return Company.objects.filter(public_id=company_id).first() if company_id else None


def _formats(digits: str) -> dict[str, str]:
    a, b, c = digits[:3], digits[3:6], digits[6:]
    return {
        "paren": f"({a}) {b}-{c}",
        "dash": f"{a}-{b}-{c}",
        "dot": f"{a}.{b}.{c}",
        "intl": f"+1 {a} {b} {c}",
        "plain": digits,
        "tel": f"+1{digits}",
    }


def demo_page(request: HttpRequest) -> HttpResponse:
    company = demo_company()
    if company is None:
        raise Http404("No demo company yet: run `python manage.py seed_demo` (make run does).")
    config = company_config(company.public_id)
    targets = config.targets if config else []
    if not targets:
        raise Http404("The demo company has no trackers with swap targets.")
    return render(
        request,
        "demo/business.html",
        {
            "company": company,
            "phone": _formats(target_key(targets[0])),
            "script": f"/companies/{company.public_id}/swap.js",
        },
    )
