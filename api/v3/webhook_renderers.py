"""The v3 call and form submission objects as webhook bodies embed them: rendered by the
endpoints' own serializers, so a receiver sees what the API shows. ``ApiConfig.ready``
hands them to ``integrations`` (see ``integrations/v3_shapes.py``)."""

from collections.abc import Mapping, Sequence
from typing import Any

from api.v3.serializers.calls import CallSerializer
from api.v3.serializers.form_submissions import FormSubmissionSerializer
from integrations.models import Integration
from integrations.v3_shapes import V3Renderers
from telephony.models import Call
from tracking.models import FormSubmission


def call_render(
    call: Call, *, fields: Sequence[str], time_zone: str, integrations: list[Integration] | None
) -> Mapping[str, Any]:
    context: dict[str, Any] = {"all_fields": True, "only_fields": fields, "time_zone": time_zone}
    if integrations is not None:
        context["integrations"] = integrations
    return CallSerializer(call, context=context).data


def form_submission_render(submission: FormSubmission, *, fields: Sequence[str], time_zone: str) -> Mapping[str, Any]:
    context = {"all_fields": True, "only_fields": fields, "time_zone": time_zone}
    return FormSubmissionSerializer(submission, context=context).data


RENDERERS = V3Renderers(call=call_render, form_submission=form_submission_render)
