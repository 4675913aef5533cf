import pytest
from django.core.exceptions import ValidationError

from telephony.carrier import NumberUnavailable, get_carrier
from telephony.models import SimulatedCarrierRequest
from telephony.numbers import number_release, numbers_provision, numbers_search
from telephony.simulated_carrier import SimulatedCarrier
from telephony.twilio import TwilioCarrier
from tracking.models import TrackingNumber
from tracking.tests.factories import TrackerFactory

Action = SimulatedCarrierRequest.Action


def owned() -> set[str]:
    bought = set(SimulatedCarrierRequest.objects.filter(action=Action.BUY_NUMBER).values_list("number", flat=True))
    released = set(
        SimulatedCarrierRequest.objects.filter(action=Action.RELEASE_NUMBER).values_list("number", flat=True)
    )
    return bought - released


def test_without_twilio_credentials_the_carrier_is_simulated(settings):
    settings.TWILIO_ACCOUNT_SID = ""
    assert isinstance(get_carrier(), SimulatedCarrier)
    settings.TWILIO_ACCOUNT_SID = "AC" + "1" * 32
    settings.TWILIO_AUTH_TOKEN = "token"
    assert isinstance(get_carrier(), TwilioCarrier)


def test_it_buys_fictional_numbers_in_the_area_code(db, account, settings):
    numbers = numbers_provision(account=account, number_request={"area_code": "303"}, count=2)
    assert [n.number for n in numbers] == ["+13035550100", "+13035550101"]
    assert all(n.sid.startswith("PN") for n in numbers)
    bought = SimulatedCarrierRequest.objects.filter(action=Action.BUY_NUMBER)
    assert bought.count() == 2
    # The simulated carrier records where the number's webhooks would point.
    assert bought.first().payload == {
        "VoiceUrl": f"{settings.PUBLIC_BASE_URL}/telephony/twilio/voice",
        "StatusCallback": f"{settings.PUBLIC_BASE_URL}/telephony/twilio/status",
        "SmsUrl": f"{settings.PUBLIC_BASE_URL}/telephony/twilio/sms",
    }
    again = numbers_provision(account=account, number_request={"area_code": "303"}, count=1)
    assert again[0].number == "+13035550102"


def test_local_prefers_the_area_code_then_falls_back_to_nearby_ones(db, account):
    numbers_provision(account=account, number_request={"area_code": "404"}, count=99)
    numbers = numbers_provision(account=account, number_request={"local": "+14045558769"}, count=3)
    assert numbers[0].number == "+14045550199"
    # The rest come from other Georgia area codes.
    assert all(n.number[2:5] in {"229", "470", "478", "678", "706", "762", "770", "912", "943"} for n in numbers[1:])


def test_a_required_area_code_without_stock_fails_and_keeps_nothing(db, account):
    numbers_provision(account=account, number_request={"area_code": "404"}, count=98)
    before = owned()
    with pytest.raises(NumberUnavailable, match="area code 404"):
        numbers_provision(account=account, number_request={"area_code": "404", "local": "+14045558769"}, count=3)
    assert owned() == before


def test_an_area_code_with_no_numbers_at_all_fails(db, account):
    with pytest.raises(NumberUnavailable):
        numbers_provision(account=account, number_request={"area_code": "999"}, count=1)


def test_toll_free_prefers_888_then_877(db, account):
    first = numbers_provision(account=account, number_request={"toll_free": True}, count=1)
    assert first[0].number == "+18885550100"
    assert first[0].toll_free
    numbers_provision(account=account, number_request={"toll_free": True, "area_code": "888"}, count=99)
    with pytest.raises(NumberUnavailable, match="toll-free numbers in area code 888"):
        numbers_provision(account=account, number_request={"toll_free": True, "area_code": "888"}, count=1)
    after = numbers_provision(account=account, number_request={"toll_free": True}, count=1)
    assert after[0].number == "+18775550100"


def test_numbers_already_tracking_are_never_bought_again(db, account, company):
    tracker = TrackerFactory(company=company)
    TrackingNumber.objects.create(account=account, tracker=tracker, number="+13035550100")
    numbers = numbers_provision(account=account, number_request={"area_code": "303"}, count=1)
    assert numbers[0].number == "+13035550101"


@pytest.mark.parametrize(
    ("request_", "message"),
    [
        ({}, "at least one of"),
        ({"toll_free": False}, "at least one of"),
        ({"area_code": "12"}, "not a valid area code"),
        ({"area_code": "404", "toll_free": True}, "not a toll-free area code"),
        ({"area_code": "888"}, "set toll_free"),
        ({"local": "call me"}, "not a valid phone number"),
        ({"toll_free": "yes"}, "true or false"),
        ("404", "must be an object"),
    ],
)
def test_malformed_requests_are_refused(db, account, request_, message):
    with pytest.raises(ValidationError, match=message):
        numbers_provision(account=account, number_request=request_, count=1)


def test_release_returns_the_number_once(db, account, company):
    tracker = TrackerFactory(company=company)
    [bought] = numbers_provision(account=account, number_request={"area_code": "303"}, count=1)
    number = TrackingNumber.objects.create(
        account=account, tracker=tracker, number=bought.number, carrier_sid=bought.sid
    )
    number_release(tracking_number=number)
    number_release(tracking_number=number)
    number.refresh_from_db()
    assert number.status == TrackingNumber.Status.RELEASED
    assert number.released_at is not None
    assert SimulatedCarrierRequest.objects.filter(action=Action.RELEASE_NUMBER, sid=bought.sid).count() == 1
    # Released numbers go back on sale.
    assert numbers_provision(account=account, number_request={"area_code": "303"}, count=1)[0].number == bought.number


def test_a_search_by_area_code_shows_what_is_for_sale_without_our_numbers(db, account, company):
    tracker = TrackerFactory(company=company)
    TrackingNumber.objects.create(account=account, tracker=tracker, number="+14705550100")
    found = numbers_search(number_request={"area_code": "470"}, limit=5)
    assert [n.number for n in found] == [f"+1470555010{n}" for n in range(1, 6)]
    assert {n.region for n in found} == {"Georgia"} and not any(n.toll_free for n in found)
    assert not SimulatedCarrierRequest.objects.exists()  # searching buys nothing


def test_a_search_for_toll_free_numbers_or_near_a_number(db):
    toll_free = numbers_search(number_request={"toll_free": True}, limit=3)
    assert [n.number[:5] for n in toll_free] == ["+1888"] * 3 and all(n.toll_free for n in toll_free)
    near = numbers_search(number_request={"local": "(404) 555-8769"}, limit=120)
    assert near[0].number.startswith("+1404")
    # Past the number's own area code, others of its region (Georgia).
    assert {n.number[2:5] for n in near} - {"404"} and {n.region for n in near} == {"Georgia"}


def test_numbers_picked_from_a_search_are_bought_first(db, account):
    picked = ["+14705550142", "+14705550199"]
    bought = numbers_provision(account=account, number_request={"area_code": "470"}, count=3, preferred=picked)
    assert [n.number for n in bought][:2] == picked
    assert bought[2].number.startswith("+1470")


def test_a_picked_number_gone_or_from_elsewhere_is_replaced_by_the_search(db, account, company):
    TrackingNumber.objects.create(account=account, tracker=TrackerFactory(company=company), number="+14705550142")
    bought = numbers_provision(
        account=account,
        number_request={"area_code": "470"},
        count=1,
        preferred=["+14705550142", "+18885550100", "+14045550100"],
    )
    assert bought[0].number.startswith("+1470") and bought[0].number != "+14705550142"
