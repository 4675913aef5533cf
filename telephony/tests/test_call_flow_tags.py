"""A deleted tag stays deleted: the tag steps that would recreate it stop applying it.
A renamed tag stays the tag they apply: they take its new name."""

import logging
from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Account, Company, Tag, User
from telephony.callflows.tag_rewrite import call_flows_with_tag_renamed, call_flows_without_tag
from telephony.models import Call
from telephony.tests.conftest import voice_params
from telephony.tests.test_call_flows import VOICE, flow_definition
from tracking.models import CallFlow
from tracking.tests.factories import CallFlowFactory, TrackerFactory, TrackingNumberFactory

pytestmark = pytest.mark.django_db


def tagging_flow(tags, **extra_steps):
    """Greeting → tag step 2 → menu 3 (key 1 rings, key 2 comes back through the tag step)."""
    return {
        "type": "advanced",
        "recording_enabled": False,
        "initial_step_id": 1,
        "steps": [
            {"id": 1, "type": "message", "prompt_text": "Hello.", "next_step_id": 2},
            {"id": 2, "type": "tag", "tags": tags, "next_step_id": 3},
            {
                "id": 3,
                "type": "menu",
                "prompt_text": "Press 1 for sales, 2 to hear this again.",
                "menu_options": [
                    {"key": "1", "description": "Sales", "next_step_id": 4},
                    {"key": "2", "description": "Again", "next_step_id": 2},
                ],
                "no_input_step_id": 2,
            },
            {"id": 4, "type": "dial", "destination_number": "+14045550101", "timeout_step_id": 5},
            {"id": 5, "type": "hangup"},
        ],
    }


def steps_by_id(flow):
    flow.refresh_from_db()
    return {step["id"]: step for step in flow.definition["steps"]}


def company_tag(company, name="Sales"):
    return Tag.objects.create(account=company.account, company=company, name=name)


def account_tag(account, name="Sales"):
    return Tag.objects.create(account=account, company=None, name=name, tag_level="account")


def tagging_flow_of(company, tags=("Sales",)):
    return CallFlowFactory(company=company, definition=tagging_flow(list(tags)))


def sibling(company, name="Alice Roofing"):
    """Another company of the same account."""
    return Company.objects.create(account=company.account, name=name)


def company_tag_among_siblings(company):
    """Our "Sales" tag; a sibling with its own "Sales"; a bare sibling. Each has a flow listing "Sales".
    Returns (tag, ours, theirs, unrelated)."""
    neighbour = sibling(company)
    bare = sibling(company, "Alice Electric")
    company_tag(neighbour)
    tag = company_tag(company)
    return tag, tagging_flow_of(company), tagging_flow_of(neighbour), tagging_flow_of(bare)


def account_tag_and_a_company_with_its_own(company):
    """An account "Sales" tag and a sibling with its own "Sales", each company with a flow listing it.
    Returns (tag, relying, keeping)."""
    own = sibling(company)
    company_tag(own)
    tag = account_tag(company.account)
    return tag, tagging_flow_of(company), tagging_flow_of(own)


def flow_shared_with_a_sibling_keeping_the_name(company):
    """Our "Sales" tag and a flow listing it, also run by a sibling with its own "Sales". Returns (tag, flow)."""
    neighbour = sibling(company)
    company_tag(neighbour)
    tag = company_tag(company)
    flow = tagging_flow_of(company)
    TrackerFactory(company=neighbour, call_flow=flow)
    return tag, flow


def invalid_tagging_flow(company):
    """A flow listing "Sales" that does not validate. Returns (flow, its definition)."""
    definition = tagging_flow(["Sales"])
    definition["steps"][3]["destination_number"] = "not a number"
    return CallFlowFactory(company=company, definition=definition), definition


def basic_and_by_uuid_flows(company):
    """A basic flow and an advanced one given by uuid, which no tag step can list."""
    basic = CallFlowFactory(company=company)
    by_uuid = CallFlowFactory(
        company=company, definition={"type": "advanced", "uuid": "6f1c4f4e-1d8a-4a8e-9a4e-0d5c2a1b3c4d"}
    )
    return basic, by_uuid


def first_call_tagged(twilio_post, company):
    """A number whose flow tags "Business hours", called once. Returns (number, first call's params, the tag)."""
    flow = CallFlowFactory(company=company, definition=flow_definition())
    number = TrackingNumberFactory(tracker=TrackerFactory(company=company, call_flow=flow))
    first = voice_params(to=number.number)
    twilio_post(VOICE, first)
    return number, first, Tag.objects.get(name="Business hours")  # the first call created it


@pytest.fixture
def staff_client(client, account):
    staff = User.objects.create_user(
        email="ops@example.com", password="pw", account=account, role=User.Role.ADMIN, is_staff=True, is_superuser=True
    )
    client.force_login(staff)
    return client


def test_deleting_one_of_a_steps_tags_leaves_the_others(company):
    tag = company_tag(company)
    flow = tagging_flow_of(company, ["Sales", "Lead"])
    tag.delete()
    assert steps_by_id(flow)[2]["tags"] == ["Lead"]
    assert flow.definition["initial_step_id"] == 1


def test_a_step_left_without_tags_is_removed_and_what_led_to_it_leads_on(company):
    tag = company_tag(company)
    flow = tagging_flow_of(company)
    before = flow.updated_at
    tag.delete()
    steps = steps_by_id(flow)
    assert 2 not in steps
    assert steps[1]["next_step_id"] == 3
    assert [option["next_step_id"] for option in steps[3]["menu_options"]] == [4, 3]
    assert steps[3]["no_input_step_id"] == 3
    assert flow.updated_at > before


def test_the_initial_step_and_a_chain_of_tag_steps_are_rewired(company):
    tag = company_tag(company)
    definition = {
        "type": "advanced",
        "initial_step_id": "a",
        "steps": [
            {"id": "a", "type": "tag", "tags": "Sales", "next_step_id": "b"},
            {"id": "b", "type": "tag", "tags": [" Sales "], "next_step_id": "c"},
            {"id": "c", "type": "schedule", "hours": {}, "open_step_id": "d", "closed_step_id": "e"},
            {"id": "d", "type": "tag", "tags": ["Sales", "Open"], "next_step_id": "e"},
            {"id": "e", "type": "dial", "destination_number": "+14045550101", "timeout_step_id": "f"},
            {"id": "f", "type": "tag", "tags": ["Sales"], "next_step_id": "g"},
            {"id": "g", "type": "voicemail"},
        ],
    }
    flow = CallFlowFactory(company=company, definition=definition)
    tag.delete()
    flow.refresh_from_db()
    assert flow.definition["initial_step_id"] == "c"
    steps = {step["id"]: step for step in flow.definition["steps"]}
    assert list(steps) == ["c", "d", "e", "g"]
    assert steps["d"]["tags"] == ["Open"]
    assert steps["e"]["timeout_step_id"] == "g"


def test_a_company_tag_leaves_other_companies_flows_alone(company):
    # Calls of a company without a "Sales" of its own never found this one either.
    tag, ours, theirs, unrelated = company_tag_among_siblings(company)
    tag.delete()
    assert 2 not in steps_by_id(ours)
    assert steps_by_id(theirs)[2]["tags"] == ["Sales"]
    assert steps_by_id(unrelated)[2]["tags"] == ["Sales"]


def test_a_tag_of_another_account_changes_nothing(company, other_company):
    flow = tagging_flow_of(company)
    company_tag(other_company).delete()
    account_tag(other_company.account).delete()
    assert steps_by_id(flow)[2]["tags"] == ["Sales"]


def test_an_account_tag_leaves_the_flows_of_companies_with_their_own_tag_of_that_name(company):
    tag, relying, keeping = account_tag_and_a_company_with_its_own(company)
    tag.delete()
    assert 2 not in steps_by_id(relying)
    assert steps_by_id(keeping)[2]["tags"] == ["Sales"]


def test_a_company_tag_shadowing_an_account_tag_leaves_the_flows_alone(company):
    account_tag(company.account)
    tag = company_tag(company)
    flow = tagging_flow_of(company)
    tag.delete()  # calls now get the account's "Sales", which still exists
    assert steps_by_id(flow)[2]["tags"] == ["Sales"]


def test_names_match_exactly(company):
    tag = company_tag(company)
    flow = tagging_flow_of(company, ["sales", "Sales team"])
    tag.delete()
    assert steps_by_id(flow)[2]["tags"] == ["sales", "Sales team"]


def test_a_flow_shared_with_a_company_that_keeps_the_name_is_left_alone(company, caplog):
    tag, flow = flow_shared_with_a_sibling_keeping_the_name(company)
    TrackerFactory(company=company, call_flow=flow)
    with caplog.at_level(logging.WARNING, logger="telephony.callflows"):
        tag.delete()
    assert steps_by_id(flow)[2]["tags"] == ["Sales"]
    assert f"call flow {flow.pk} keeps deleted tag 'Sales'" in caplog.text


def test_a_flow_shared_only_with_companies_that_would_recreate_it_changes(company):
    tag = account_tag(company.account)
    flow = tagging_flow_of(company)
    TrackerFactory(company=sibling(company), call_flow=flow)
    tag.delete()
    assert 2 not in steps_by_id(flow)


def test_a_flow_that_would_not_validate_is_left_unchanged(company, caplog):
    tag = company_tag(company)
    flow, definition = invalid_tagging_flow(company)
    with caplog.at_level(logging.WARNING, logger="telephony.callflows"):
        tag.delete()
    flow.refresh_from_db()
    assert flow.definition == definition
    assert "without it the flow is invalid" in caplog.text


def test_basic_and_by_uuid_flows_are_skipped(company):
    tag = company_tag(company)
    basic, by_uuid = basic_and_by_uuid_flows(company)
    definitions = (basic.definition, by_uuid.definition)
    assert call_flows_without_tag(tag=tag) == 0
    basic.refresh_from_db()
    by_uuid.refresh_from_db()
    assert (basic.definition, by_uuid.definition) == definitions


def test_tags_deleted_with_their_company_leave_its_flows_to_go_with_it(company):
    company_tag(company)
    tagging_flow_of(company)
    with mock.patch("telephony.receivers.call_flows_without_tag") as service:
        company.delete()
    service.assert_not_called()
    assert not Tag.objects.exists()
    assert not CallFlow.objects.exists()


def test_tags_deleted_with_their_account_leave_its_flows_to_go_with_it(company):
    account_tag(company.account)
    tagging_flow_of(company)
    with mock.patch("telephony.receivers.call_flows_without_tag") as service:
        Account.objects.filter(pk=company.account_id).delete()
    service.assert_not_called()
    assert not Account.objects.exists()


def test_a_call_after_the_deletion_does_not_recreate_the_tag(twilio_post, company):
    number, first, tag = first_call_tagged(twilio_post, company)
    assert list(Call.objects.get(call_sid=first["CallSid"]).tags.all()) == [tag]

    tag.delete()

    second = voice_params(to=number.number)
    response = twilio_post(VOICE, second)
    assert response.status_code == 200
    call = Call.objects.get(call_sid=second["CallSid"])
    assert call.flow_state["path"] == [0, 1, 3]
    assert not call.tags.exists()
    assert not Tag.objects.filter(name="Business hours").exists()


def test_deleting_in_the_admin_updates_the_flows(staff_client, company):
    client = staff_client
    one = company_tag(company)
    two = company_tag(company, "Lead")
    flow = tagging_flow_of(company, ["Sales", "Lead", "Spam"])
    response = client.post(f"/admin/accounts/tag/{one.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert steps_by_id(flow)[2]["tags"] == ["Lead", "Spam"]
    response = client.post(
        "/admin/accounts/tag/", {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=two.pk).exists()
    assert steps_by_id(flow)[2]["tags"] == ["Spam"]


# --- renaming -------------------------------------------------------------------------


def rename(tag, name):
    tag.name = name
    tag.save()


def test_renaming_a_tag_renames_it_in_the_steps_that_list_it(company):
    tag = company_tag(company)
    flow = tagging_flow_of(company, ["Lead", " Sales ", "Spam"])
    untouched = tagging_flow_of(company, ["Lead"])
    before = (flow.updated_at, untouched.updated_at)
    rename(tag, "Existing customer")
    assert steps_by_id(flow)[2]["tags"] == ["Lead", "Existing customer", "Spam"]
    assert steps_by_id(untouched)[2]["tags"] == ["Lead"]
    assert flow.updated_at > before[0]
    assert untouched.updated_at == before[1]


def test_a_step_already_listing_the_new_name_lists_it_once(company):
    tag = company_tag(company)
    definition = {
        "type": "advanced",
        "initial_step_id": 1,
        "steps": [
            {"id": 1, "type": "tag", "tags": ["Sales", "Lead", "Customer"], "next_step_id": 2},
            {"id": 2, "type": "tag", "tags": ["Customer", "Sales"], "next_step_id": 3},
            {"id": 3, "type": "tag", "tags": "Sales", "next_step_id": 4},
            {"id": 4, "type": "dial", "destination_number": "+14045550101"},
        ],
    }
    flow = CallFlowFactory(company=company, definition=definition)
    rename(tag, "Customer")
    steps = steps_by_id(flow)
    assert steps[1]["tags"] == ["Customer", "Lead"]
    assert steps[2]["tags"] == ["Customer"]
    assert steps[3]["tags"] == ["Customer"]
    assert flow.definition["initial_step_id"] == 1
    assert [step["id"] for step in flow.definition["steps"]] == [1, 2, 3, 4]


def test_renaming_a_company_tag_leaves_other_companies_flows_alone(company, other_company):
    tag, ours, theirs, unrelated = company_tag_among_siblings(company)
    company_tag(other_company)
    elsewhere = tagging_flow_of(other_company)
    rename(tag, "Leads")
    assert steps_by_id(ours)[2]["tags"] == ["Leads"]
    for flow in (theirs, unrelated, elsewhere):
        assert steps_by_id(flow)[2]["tags"] == ["Sales"]


def test_renaming_a_tag_of_another_account_changes_nothing(company, other_company):
    flow = tagging_flow_of(company)
    rename(company_tag(other_company), "Leads")
    rename(account_tag(other_company.account), "Leads")
    assert steps_by_id(flow)[2]["tags"] == ["Sales"]


def test_renaming_an_account_tag_follows_the_companies_that_found_it(company):
    tag, relying, keeping = account_tag_and_a_company_with_its_own(company)
    rename(tag, "Leads")
    assert steps_by_id(relying)[2]["tags"] == ["Leads"]
    assert steps_by_id(keeping)[2]["tags"] == ["Sales"]


def test_renaming_a_company_tag_shadowing_an_account_tag_leaves_the_flows_alone(company):
    account_tag(company.account)
    tag = company_tag(company)
    flow = tagging_flow_of(company)
    rename(tag, "Leads")  # calls now get the account's "Sales", which still exists
    assert steps_by_id(flow)[2]["tags"] == ["Sales"]


def test_a_shared_flow_where_the_old_name_is_another_tag_keeps_it(company, caplog):
    tag, flow = flow_shared_with_a_sibling_keeping_the_name(company)
    with caplog.at_level(logging.WARNING, logger="telephony.callflows"):
        rename(tag, "Leads")
    assert steps_by_id(flow)[2]["tags"] == ["Sales"]
    assert f"call flow {flow.pk} keeps renamed tag 'Sales' (now 'Leads')" in caplog.text


def test_a_flow_where_the_new_name_is_another_companys_tag_keeps_the_old_one(company, caplog):
    own = sibling(company)
    company_tag(own, "Leads")
    tag = account_tag(company.account)
    theirs = tagging_flow_of(own)
    ours = tagging_flow_of(company)
    with caplog.at_level(logging.WARNING, logger="telephony.callflows"):
        rename(tag, "Leads")
    # Calls of Alice Roofing would get its own "Leads", not the renamed tag.
    assert steps_by_id(theirs)[2]["tags"] == ["Sales"]
    assert steps_by_id(ours)[2]["tags"] == ["Leads"]
    assert "where the new name is another tag" in caplog.text


def test_a_renamed_flow_that_would_not_validate_is_left_unchanged(company, caplog):
    tag = company_tag(company)
    flow, definition = invalid_tagging_flow(company)
    with caplog.at_level(logging.WARNING, logger="telephony.callflows"):
        rename(tag, "Leads")
    flow.refresh_from_db()
    assert flow.definition == definition
    assert "with the new name the flow is invalid" in caplog.text


def changed(tag: Tag, **fields: str) -> Tag:
    """``tag`` with ``fields`` set in memory, not saved."""
    for name, value in fields.items():
        setattr(tag, name, value)
    return tag


@pytest.mark.parametrize(
    "change",
    [
        lambda tag: tag.save(),
        lambda tag: changed(tag, color="red2").save(),
        lambda tag: changed(tag, name="Leads").save(update_fields=["color"]),
    ],
    ids=["same name", "other field", "name not saved"],
)
def test_a_save_that_keeps_the_name_leaves_the_flows_alone(company, change):
    tag = company_tag(company)
    flow = tagging_flow_of(company)
    before = flow.updated_at
    with mock.patch("telephony.receivers.call_flows_with_tag_renamed") as service:
        change(tag)
    service.assert_not_called()
    assert steps_by_id(flow)[2]["tags"] == ["Sales"]
    assert flow.updated_at == before


def test_creating_a_tag_leaves_the_flows_alone(company):
    flow = tagging_flow_of(company)
    with mock.patch("telephony.receivers.call_flows_with_tag_renamed") as service:
        company_tag(company)
        Tag(account=company.account, company=company, name="Leads").save()
    service.assert_not_called()
    assert steps_by_id(flow)[2]["tags"] == ["Sales"]


def test_a_rename_that_fails_leaves_the_flows_alone(company):
    company_tag(company, "Leads")
    tag = company_tag(company)
    flow = tagging_flow_of(company)
    with pytest.raises(IntegrityError), transaction.atomic():
        rename(tag, "Leads")  # the unique constraint refuses it
    assert steps_by_id(flow)[2]["tags"] == ["Sales"]


def test_basic_and_by_uuid_flows_are_skipped_on_rename(company):
    tag = company_tag(company)
    basic, by_uuid = basic_and_by_uuid_flows(company)
    definitions = (basic.definition, by_uuid.definition)
    Tag.objects.filter(pk=tag.pk).update(name="Leads")
    tag.refresh_from_db()
    assert call_flows_with_tag_renamed(tag=tag, old_name="Sales") == 0
    basic.refresh_from_db()
    by_uuid.refresh_from_db()
    assert (basic.definition, by_uuid.definition) == definitions


def test_a_call_after_the_rename_applies_the_renamed_tag(twilio_post, company):
    number, _, tag = first_call_tagged(twilio_post, company)

    rename(tag, "Open hours")

    second = voice_params(to=number.number)
    response = twilio_post(VOICE, second)
    assert response.status_code == 200
    call = Call.objects.get(call_sid=second["CallSid"])
    assert call.flow_state["path"] == [0, 1, 2, 3]
    assert list(call.tags.all()) == [tag]
    assert not Tag.objects.filter(name="Business hours").exists()
    assert list(Tag.objects.values_list("name", flat=True)) == ["Open hours"]


def test_renaming_in_the_admin_updates_the_flows(staff_client, account, company):
    client = staff_client
    tag = company_tag(company)
    flow = tagging_flow_of(company, ["Sales", "Spam"])
    response = client.post(
        f"/admin/accounts/tag/{tag.pk}/change/",
        {
            "account": account.pk,
            "company": company.pk,
            "name": "Leads",
            "tag_level": tag.tag_level,
            "color": tag.color,
            "background_color": "",
            "status": tag.status,
        },
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert tag.name == "Leads"
    assert steps_by_id(flow)[2]["tags"] == ["Leads", "Spam"]
