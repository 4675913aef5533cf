"""Create the demo account on first run and print its credentials (``make run``).

The plain password and API key are kept in ``VAR_DIR/demo.json`` (mode 0600) so
later runs can print them again; the database stores only hashes.
"""

import json
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts.models import User
from accounts.services import admin_bootstrap, company_create

DEMO_EMAIL = "demo@example.com"
DEMO_ACCOUNT = "Demo Agency"
DEMO_COMPANY = "Demo Plumbing Co."


def _credentials_path() -> Path:
    return Path(settings.VAR_DIR) / "demo.json"


class Command(BaseCommand):
    help = "Create the demo account, admin, API key and company if missing; print the credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        path = _credentials_path()
        saved = json.loads(path.read_text()) if path.exists() else None
        user = User.objects.filter(email=DEMO_EMAIL).select_related("account").first()
        if saved is None or user is None or saved.get("account_id") != user.account.public_id:
            password = saved["password"] if saved and user else secrets.token_urlsafe(12)
            result = admin_bootstrap(email=DEMO_EMAIL, password=password, account_name=DEMO_ACCOUNT)
            if not result.created:
                result.user.set_password(password)
                result.user.save(update_fields=["password"])
            company = result.account.companies.first() or company_create(account=result.account, name=DEMO_COMPANY)
            saved = {
                "email": DEMO_EMAIL,
                "password": password,
                "account_id": result.account.public_id,
                "company_id": company.public_id,
                "api_key": result.api_key,
            }
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(saved))
            path.chmod(0o600)
        if options["json"]:
            self.stdout.write(json.dumps(saved))
        else:
            for key, value in saved.items():
                self.stdout.write(f"{key}: {value}")
