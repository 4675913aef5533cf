"""The four attribution milestones of a call or form submission (reference: Calls
"milestones", Form Submissions "milestones"), built from the lead's real visitor sessions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.db.models import Q

from api.v3.formatting import source_display
from integrations.v3_shapes import iso8601
from telephony.models import Call
from tracking.models import FormSubmission, VisitorSession

MILESTONES = ("first_touch", "lead_created", "qualified", "last_touch")
MILESTONE_KEYS = (
    "event_date",
    "ad_position",
    "campaign",
    "device",
    "keywords",
    "landing",
    "landing_page_url_params",
    "match_type",
    "medium",
    "referrer",
    "referrer_url_params",
    "session_browser",
    "url_utm_params",
    "source",
)
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


@lru_cache(maxsize=2048)
def browser_family(user_agent: str) -> str | None:
    if not user_agent:
        return None
    from user_agents import parse

    family = parse(user_agent).browser.family
    return None if family in ("", "Other") else family


def _params(url: str | None) -> dict[str, str]:
    if not url:
        return {}
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def _blank_to_none(value: Any) -> Any:
    return value if value not in ("", None) else None


def empty_milestone() -> dict[str, Any]:
    return {key: ({} if key.endswith("_params") else None) for key in MILESTONE_KEYS}


@dataclass
class Touch:
    """One attribution touchpoint: a visit, or an interaction that came without one."""

    at: datetime
    source: str = ""
    medium: str = ""
    campaign: str = ""
    keywords: str = ""
    landing: str = ""
    referrer: str = ""
    device: str = ""
    user_agent: str = ""
    utm: dict[str, str] | None = None

    @classmethod
    def from_session(cls, session: VisitorSession) -> Touch:
        return cls(
            at=session.created_at,
            source=session.source,
            medium=session.medium or session.utm_medium,
            campaign=session.utm_campaign,
            keywords=session.keywords or session.utm_term,
            landing=session.landing_url,
            referrer=session.referrer_url,
            device=session.device_type,
            user_agent=session.user_agent,
            utm={key: getattr(session, key) for key in UTM_KEYS if getattr(session, key)},
        )

    @classmethod
    def from_interaction(cls, row: Interaction) -> Touch:
        return cls(
            at=row.at,
            source=row.source,
            medium=row.medium,
            campaign=row.campaign,
            keywords=row.keywords,
            landing=row.landing,
            referrer=row.referrer,
            device=row.device,
        )

    def render(self, tz: Any) -> dict[str, Any]:
        landing_params = _params(self.landing)
        utm = dict(self.utm or {key: landing_params[key] for key in UTM_KEYS if landing_params.get(key)})
        return {
            "event_date": iso8601(self.at, tz),
            "ad_position": _blank_to_none(landing_params.get("adposition") or landing_params.get("position")),
            "campaign": _blank_to_none(self.campaign or landing_params.get("campaign")),
            "device": _blank_to_none(self.device),
            "keywords": _blank_to_none(self.keywords or landing_params.get("keywords")),
            "landing": _blank_to_none(self.landing),
            "landing_page_url_params": landing_params,
            "match_type": _blank_to_none(landing_params.get("matchtype") or landing_params.get("match_type")),
            "medium": _blank_to_none(self.medium),
            "referrer": _blank_to_none(self.referrer),
            "referrer_url_params": _params(self.referrer),
            "session_browser": browser_family(self.user_agent),
            "url_utm_params": utm,
            "source": source_display(self.source),
        }


@dataclass
class Interaction:
    """A call or form submission of a lead, reduced to what milestones need."""

    kind: str
    pk: int
    at: datetime
    company_id: int
    person_id: int | None
    session_id: int | None
    lead_status: str | None
    source: str = ""
    medium: str = ""
    campaign: str = ""
    keywords: str = ""
    landing: str = ""
    referrer: str = ""
    device: str = ""


def _call_interaction(call: Any) -> Interaction:
    return Interaction(
        kind="call",
        pk=call.pk,
        at=call.start_time,
        company_id=call.company_id,
        person_id=call.person_id,
        session_id=call.session_id,
        lead_status=call.lead_status,
        source=call.source,
        medium=call.medium,
        campaign=call.campaign,
        keywords=call.keywords,
        landing=call.landing_page_url,
        referrer=call.referring_url,
        device=call.device_type,
    )


def _form_interaction(form: FormSubmission) -> Interaction:
    return Interaction(
        kind="form",
        pk=form.pk,
        at=form.submitted_at,
        company_id=form.company_id,
        person_id=form.person_id,
        session_id=form.session_id,
        lead_status=form.lead_status,
        source=form.source or form.referrer,
        medium=form.medium,
        campaign=form.campaign,
        keywords=form.keywords,
        landing=form.landing_page_url,
        referrer=form.referring_url,
    )


def interaction_of(row: Any) -> Interaction:
    return _form_interaction(row) if isinstance(row, FormSubmission) else _call_interaction(row)


_SESSION_FIELDS = (
    "id",
    "company_id",
    "person_id",
    "visitor_id",
    "created_at",
    "source",
    "medium",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "keywords",
    "landing_url",
    "referrer_url",
    "device_type",
    "user_agent",
)
_CALL_FIELDS = (
    "id",
    "company_id",
    "person_id",
    "session_id",
    "start_time",
    "lead_status",
    "source",
    "medium",
    "campaign",
    "keywords",
    "landing_page_url",
    "referring_url",
    "device_type",
)
_FORM_FIELDS = (
    "id",
    "company_id",
    "person_id",
    "session_id",
    "submitted_at",
    "lead_status",
    "source",
    "referrer",
    "medium",
    "campaign",
    "keywords",
    "landing_page_url",
    "referring_url",
)


class MilestoneBuilder:
    """Builds ``milestones`` for a page of calls or form submissions in four queries.

    - first_touch: the lead's earliest visit (or interaction without one);
    - lead_created: the touch behind the lead's first call or form;
    - qualified: the touch behind the first interaction scored ``good_lead``;
    - last_touch: the touch behind this interaction (its own visit, else the latest before it).

    Only touches up to the interaction's own time count, so an old call never shows
    a later visit. A row with neither visit nor lead uses its own attribution.
    """

    def __init__(self, rows: Iterable[Any], tz: Any) -> None:
        self.tz = tz
        self.rows = {(type(row).__name__, row.pk): interaction_of(row) for row in rows}
        interactions = list(self.rows.values())
        person_ids = {i.person_id for i in interactions if i.person_id}
        session_ids = {i.session_id for i in interactions if i.session_id}
        company_ids = {i.company_id for i in interactions}

        self.sessions: dict[int, VisitorSession] = {}
        self._sessions_load(session_ids)
        visitor_ids = {s.visitor_id for s in self.sessions.values() if s.visitor_id}
        self._related_sessions_load(person_ids, visitor_ids, company_ids)
        self.by_person: dict[int, list[Interaction]] = defaultdict(list)
        if person_ids:
            self._people_load(person_ids)

    def _sessions_load(self, session_ids: set[int]) -> None:
        if session_ids:
            for session in VisitorSession.objects.filter(pk__in=session_ids).only(*_SESSION_FIELDS):
                self.sessions[session.pk] = session

    def _related_sessions_load(self, person_ids: set[int], visitor_ids: set[int], company_ids: set[int]) -> None:
        """The other visits of the rows' leads and visitors, in the rows' companies."""
        related = Q(pk__in=[])
        if person_ids:
            related |= Q(person_id__in=person_ids)
        if visitor_ids:
            related |= Q(visitor_id__in=visitor_ids)
        if person_ids or visitor_ids:
            for session in VisitorSession.objects.filter(related, company_id__in=company_ids).only(*_SESSION_FIELDS):
                self.sessions[session.pk] = session

    def _people_load(self, person_ids: set[int]) -> None:
        """Every call and form of the rows' leads, in time order, and the visits behind them."""
        calls = Call.objects.filter(person_id__in=person_ids, spam=False).only(*_CALL_FIELDS)
        forms = FormSubmission.objects.filter(person_id__in=person_ids).only(*_FORM_FIELDS)
        for row in [*calls, *forms]:
            self.by_person[row.person_id].append(interaction_of(row))
        for items in self.by_person.values():
            items.sort(key=lambda i: (i.at, i.pk))
        missing = {i.session_id for items in self.by_person.values() for i in items if i.session_id} - set(
            self.sessions
        )
        self._sessions_load(missing)

    def _sessions_for(self, row: Interaction) -> list[VisitorSession]:
        own = self.sessions.get(row.session_id) if row.session_id else None
        visitor = own.visitor_id if own else None
        found = [
            s
            for s in self.sessions.values()
            if s.company_id == row.company_id
            and ((row.person_id and s.person_id == row.person_id) or (visitor and s.visitor_id == visitor))
        ]
        if own and own not in found:
            found.append(own)
        return sorted(found, key=lambda s: (s.created_at, s.pk))

    def _touch_for(self, row: Interaction, sessions: list[VisitorSession]) -> Touch:
        if row.session_id and row.session_id in self.sessions:
            return Touch.from_session(self.sessions[row.session_id])
        earlier = [s for s in sessions if s.created_at <= row.at]
        if earlier:
            return Touch.from_session(earlier[-1])
        return Touch.from_interaction(row)

    def build(self, row: Any) -> dict[str, Any]:
        current = self.rows.get((type(row).__name__, row.pk)) or interaction_of(row)
        sessions = [s for s in self._sessions_for(current) if s.created_at <= current.at]
        history = [i for i in self.by_person.get(current.person_id, []) if (i.at, i.pk) <= (current.at, current.pk)]
        if not any(i.kind == current.kind and i.pk == current.pk for i in history):
            history.append(current)
            history.sort(key=lambda i: (i.at, i.pk))

        touches = [Touch.from_session(s) for s in sessions]
        touches += [Touch.from_interaction(i) for i in history if not i.session_id]
        first = min(touches, key=lambda t: t.at) if touches else Touch.from_interaction(current)
        qualified = next((i for i in history if i.lead_status == "good_lead"), None)
        return {
            "first_touch": first.render(self.tz),
            "lead_created": self._touch_for(history[0], sessions).render(self.tz),
            "qualified": self._touch_for(qualified, sessions).render(self.tz) if qualified else empty_milestone(),
            "last_touch": self._touch_for(current, sessions).render(self.tz),
        }
