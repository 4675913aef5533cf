"""Switch an existing account's HIPAA mode:

python manage.py set_hipaa --account ACC… --on
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.fields import parse_public_or_numeric
from accounts.models import Account
from accounts.services import account_hipaa_set


class Command(BaseCommand):
    help = "Turn HIPAA mode on or off for an account (no caller data in emails, access to calls audited)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True, help="the account's id (ACC… or numeric)")
        switch = parser.add_mutually_exclusive_group(required=True)
        switch.add_argument("--on", dest="enabled", action="store_true")
        switch.add_argument("--off", dest="enabled", action="store_false")

    def handle(self, *args: Any, **options: Any) -> None:
        lookup = parse_public_or_numeric(options["account"], "ACC")
        account = Account.objects.filter(**lookup).first() if lookup else None
        if account is None:
            raise CommandError(f"No account {options['account']!r}.")
        account_hipaa_set(account=account, enabled=options["enabled"])
        state = "on" if account.hipaa_account else "off"
        self.stdout.write(f"HIPAA mode is {state} for {account.public_id} ({account.name}).")
