"""Writes of form submissions made by people, not by swap.js: a submission sent through the
API, a marketer's scoring and tagging, and the fields a company stops storing
(reference: "Form Submissions"). Captures from customers' sites go through
``tracking.forms_capture``; both read the fields and the lead the same way.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, Company, User
from accounts.money import money_parse
from accounts.services import tags_for_names
from tracking.forms_capture import clean_fields, customer_details
from tracking.models import FormSubmission
from tracking.people import person_for_contact
from tracking.signals import form_submitted


@transaction.atomic
def form_submission_create(*, company: Company, data: dict[str, Any]) -> FormSubmission:
    """Record a submission sent through the API; a phone number in the fields names the lead.

    Fields the company ignores, passwords and card numbers are never stored.
    """
    fields = clean_fields(data["form_data"], company.ignored_form_fields or [])
    phone, name, email = customer_details(fields)
    person = person_for_contact(
        account_id=company.account_id, company_id=company.pk, phone=phone, email=email, name=name
    )
    first_form = person is None or not FormSubmission.objects.filter(company=company, person=person).exists()
    referrer = data["referrer"]
    submission = FormSubmission.objects.create(
        account_id=company.account_id,
        company=company,
        person=person,
        form_data=fields,
        form_url=data["form_url"],
        landing_page_url=data["landing_page_url"],
        referrer=referrer,
        referring_url=data["referring_url"],
        submitted_at=timezone.now(),
        first_form=first_form,
        customer_phone_number=phone,
        customer_name=name,
        customer_email=email,
        source=referrer,
    )
    form_submitted.send(sender=FormSubmission, submission=submission)
    return submission


@transaction.atomic
def form_submission_update(
    *, submission: FormSubmission, changes: dict[str, Any], user: User | None = None
) -> FormSubmission:
    """Tags, note, value and lead status of a submission, as a call update does.

    ``append_tags`` (true) adds the tags instead of replacing them.
    """
    submission = FormSubmission.objects.select_for_update().get(pk=submission.pk)
    if "lead_status" in changes:
        submission.lead_status = _lead_status(submission, changes["lead_status"] or None)
    if "note" in changes:
        note = changes["note"] or ""
        if not isinstance(note, str):
            raise ValidationError("note must be text")
        submission.note = note
    if "value" in changes:
        submission.value = money_parse(changes["value"])
    submission.save()
    if "tags" in changes:
        tags = tags_for_names(account_id=submission.account_id, company_id=submission.company_id, names=changes["tags"])
        if changes.get("append_tags") is True:
            submission.tags.add(*tags)
        else:
            submission.tags.set(tags)
    return submission


def _lead_status(submission: FormSubmission, lead_status: str | None) -> str | None:
    if lead_status not in (None, FormSubmission.LeadStatus.GOOD_LEAD, FormSubmission.LeadStatus.NOT_A_LEAD):
        raise ValidationError("lead_status must be good_lead, not_a_lead or null")
    if (
        lead_status == FormSubmission.LeadStatus.GOOD_LEAD
        and submission.lead_status == FormSubmission.LeadStatus.PREVIOUSLY_MARKED_GOOD_LEAD
    ):
        raise ValidationError(
            "This lead was previously marked as a good lead; the submission cannot be marked good_lead again."
        )
    return lead_status


@transaction.atomic
def ignored_fields_add(*, account: Account, companies: list[Company], field_names: list[str]) -> None:
    """Stop storing these form fields in the companies' submissions, and strip them from past ones
    (names compare case-insensitively)."""
    lowered = {name.lower() for name in field_names}
    for company in Company.objects.select_for_update().filter(pk__in=[c.pk for c in companies], account=account):
        current = list(company.ignored_form_fields or [])
        known = {name.lower() for name in current}
        for name in field_names:  # once, even if the request repeats it
            if name.lower() not in known:
                known.add(name.lower())
                current.append(name)
        company.ignored_form_fields = current
        company.save(update_fields=["ignored_form_fields", "updated_at"])
        for submission in FormSubmission.objects.filter(company=company).only("id", "form_data").iterator():
            data = submission.form_data or {}
            kept = {key: value for key, value in data.items() if key.lower() not in lowered}
            if kept != data:
                FormSubmission.objects.filter(pk=submission.pk).update(form_data=kept)
