import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts.services import admin_bootstrap


class Command(BaseCommand):
    help = "Create an account and its admin user if they do not exist, and print a new API key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--account-name", required=True)
        parser.add_argument("--json", action="store_true", help="print one JSON object")
        parser.add_argument(
            "--hipaa", action="store_true", help="HIPAA mode: no caller data in emails, access to calls audited"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = admin_bootstrap(
            email=options["email"],
            password=options["password"],
            account_name=options["account_name"],
            hipaa=options["hipaa"],
        )
        payload = {"account_id": result.account.public_id, "user_id": result.user.public_id, "api_key": result.api_key}
        if options["json"]:
            self.stdout.write(json.dumps(payload))
        else:
            for key, value in payload.items():
                self.stdout.write(f"{key}: {value}")
