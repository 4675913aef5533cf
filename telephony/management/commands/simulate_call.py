"""Place a simulated inbound call: our webhooks see exactly what Twilio would send.

    python manage.py simulate_call --to +14045550100 --from +13035550123 --digits 1 --outcome answered --duration 42
    python manage.py simulate_call --to +14045550100 --from +13035550123 --at 2024-03-05T14:30:00-05:00

The requests are signed with the webhook token of this configuration (Twilio's
Auth Token, or the one derived from SECRET_KEY with the simulated carrier), so the
server must run with the same settings.
"""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from accounts.phone import to_e164_or_none
from telephony.call_simulator import OUTCOMES, CallSimulator, SimulatorError
from telephony.models import Call
from telephony.recording_links import recording_audio_url


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise CommandError(f"--at {value!r} is not an ISO 8601 time (2024-03-05T14:30:00-05:00).") from exc
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    if moment > timezone.now():
        raise CommandError("--at must be in the past.")
    return moment


class Command(BaseCommand):
    help = "Drive our Twilio webhooks through one inbound call, as Twilio would."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--to", required=True, help="the tracking number dialed")
        parser.add_argument("--from", dest="from_", required=True, help="the caller's number")
        parser.add_argument("--digits", default="", help="keys pressed at menus, one per menu (e.g. 12)")
        parser.add_argument("--outcome", choices=OUTCOMES, default="answered", help="what happens when a phone rings")
        parser.add_argument("--duration", type=int, default=42, help="seconds of conversation or voicemail")
        parser.add_argument("--caller-name", default="", help="caller ID name (CNAM)")
        parser.add_argument("--base-url", default="", help="server to call (default PUBLIC_BASE_URL)")
        parser.add_argument("--quiet", action="store_true", help="print only the result")
        parser.add_argument(
            "--at", default="", help="place the call at this past moment (ISO 8601; UTC without offset)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        to = to_e164_or_none(options["to"])
        caller = to_e164_or_none(options["from_"]) or options["from_"]
        if to is None:
            raise CommandError(f"--to {options['to']!r} is not a phone number.")
        base_url = options["base_url"] or settings.PUBLIC_BASE_URL
        echo = (lambda line: None) if options["quiet"] else self.stdout.write
        simulator = CallSimulator(
            base_url=base_url,
            to=to,
            from_=caller,
            digits=options["digits"],
            outcome=options["outcome"],
            duration=options["duration"],
            caller_name=options["caller_name"],
            echo=echo,
            at=_moment(options["at"]) if options["at"] else None,
        )
        try:
            result = simulator.run()
        except SimulatorError as exc:
            raise CommandError(str(exc)) from exc
        except DatabaseError as exc:
            # Only --at writes to the database from here (the server's own, moved in place).
            raise CommandError(f"The call was placed but could not be moved in time: {exc}") from exc
        self.stdout.write(self.describe(result.call_sid))
        for notice in result.notices:
            self.stdout.write(f"  notice: {notice}")

    def describe(self, call_sid: str) -> str:
        try:
            call = Call.objects.select_related("session", "tracker").filter(call_sid=call_sid).first()
        except DatabaseError:
            call = None
        if call is None:
            return f"Call {call_sid} placed (the server's database is not reachable from here)."
        lines = [
            f"Call {call.public_id} ({call_sid}): {call.call_type}, status {call.status}, duration {call.duration}s",
            f"  tracker: {call.tracker.name if call.tracker else '-'}  caller: {call.customer_phone_number}"
            f"  first call: {call.first_call}  prior calls: {call.prior_calls}",
        ]
        if call.session:
            lines.append(
                f"  attributed to visitor session {call.session.session_key}: source {call.source or '-'},"
                f" medium {call.medium or '-'}, campaign {call.campaign or '-'}, keywords {call.keywords or '-'}"
            )
            lines.append(f"  landing page {call.landing_page_url or '-'}  referrer {call.referring_url or '-'}")
        elif call.source:
            lines.append(f"  source {call.source} (from the tracker)")
        else:
            lines.append("  not attributed to a visit (no session held this number)")
        if call.has_recording:
            lines.append(f"  recording {recording_audio_url(call.public_id, call.account)}")
        if call.transcription:
            lines.append(f"  transcription: {call.transcription}")
        return "\n".join(lines)
