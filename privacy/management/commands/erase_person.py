"""Erase one person's data from an account, now (the API does the same through a worker):

python manage.py erase_person --account ACC… --phone-number +14045551234 --email jo@example.com
python manage.py erase_person --account ACC… --resume ERS…
"""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.fields import parse_public_or_numeric
from accounts.models import Account
from privacy.erasure import erasure_request, erasure_run
from privacy.models import Erasure


class Command(BaseCommand):
    help = "Erase a caller's or lead's data (by phone number and/or email) across every company of an account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--account", required=True, help="the account's id (ACC… or numeric)")
        parser.add_argument("--phone-number", default="", help="the person's phone number")
        parser.add_argument("--email", default="", help="the person's email address")
        parser.add_argument("--resume", default="", help="run an unfinished erasure (ERS…) again")

    def handle(self, *args: Any, **options: Any) -> None:
        lookup = parse_public_or_numeric(options["account"], "ACC")
        account = Account.objects.filter(**lookup).first() if lookup else None
        if account is None:
            raise CommandError(f"No account {options['account']!r}.")
        if options["resume"]:
            erasure = Erasure.objects.filter(account=account, public_id=options["resume"]).first()
            if erasure is None:
                raise CommandError(f"No erasure {options['resume']!r} in {account.public_id}.")
            if erasure.status == Erasure.Status.FAILED:
                # The operator asks for another round of attempts.
                Erasure.objects.filter(pk=erasure.pk).update(status=Erasure.Status.PENDING, attempts=0)
        else:
            try:
                erasure = erasure_request(
                    account=account,
                    phone_number=options["phone_number"],
                    email=options["email"],
                    via=Erasure.Via.COMMAND,
                    enqueue=False,
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        done = erasure_run(erasure_id=erasure.pk) or erasure
        self.stdout.write(json.dumps({"id": done.public_id, "status": done.status, "counts": done.counts}))
        if done.status != Erasure.Status.COMPLETED:
            raise CommandError(f"Erasure {done.public_id} is {done.status} ({done.error or 'held by a worker'}).")
