"""The attribution fields are declared once (on ``VisitorSession`` and ``FormSubmission``):
every model that keeps them must have them under those names."""

from django.db.models import Model

from telephony.models import Call
from tracking.models import FormSubmission, VisitorSession


def field_names(model: type[Model]) -> set[str]:
    return {field.name for field in model._meta.get_fields()}


def test_a_session_records_every_utm_parameter_and_click_id():
    assert {*VisitorSession.UTM_FIELDS, *VisitorSession.CLICK_ID_FIELDS} <= field_names(VisitorSession)


def test_a_call_keeps_the_whole_first_touch():
    assert set(VisitorSession().first_touch()) <= field_names(Call)


def test_a_form_submission_keeps_its_part_of_the_first_touch():
    assert set(FormSubmission.TOUCH_FIELDS) <= set(VisitorSession().first_touch())
    assert set(FormSubmission.TOUCH_FIELDS) <= field_names(FormSubmission)
