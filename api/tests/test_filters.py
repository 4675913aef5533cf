"""The shared filter pieces (api/v3/filters.py): arrays, booleans, company ids."""

import pytest
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from accounts.models import Tag
from api.tests.factories import CallFactory
from api.v3.filters import TagsFilter, company_lookup, parse_bool, query_list
from telephony.models import Call

pytestmark = pytest.mark.django_db


def test_array_parameters_read_brackets_and_the_last_plain_value():
    data = QueryDict("tags[]=A&tags[]=B&tags=C&tags=D")
    assert query_list(data, "tags") == ["A", "B", "D"]
    assert query_list(QueryDict("tags=A,B"), "tags") == ["A,B"]
    assert query_list(QueryDict("tags=A,B"), "tags", split_commas=True) == ["A", "B"]
    assert query_list(QueryDict("other=1"), "tags") == []


def test_booleans_accept_json_and_strings():
    assert parse_bool(True) is True
    assert parse_bool("false") is False
    assert parse_bool("1") is True
    with pytest.raises(ValidationError):
        parse_bool("maybe", "flag")


def test_tags_match_any_without_repeating_rows(account, company):
    sales = Tag.objects.create(account=account, company=company, name="Sales")
    vip = Tag.objects.create(account=account, company=company, name="VIP")
    both = CallFactory(company=company)
    both.tags.set([sales, vip])
    one = CallFactory(company=company)
    one.tags.set([vip])
    CallFactory(company=company)
    calls = TagsFilter().filter(Call.objects.all(), ["Sales", "VIP"])
    assert sorted(call.pk for call in calls) == sorted([both.pk, one.pk])


def test_company_ids_public_numeric_or_nothing(company):
    from accounts.models import Company

    assert Company.objects.filter(company_lookup(company.public_id, "")).get() == company
    assert Company.objects.filter(company_lookup(str(company.numeric_id), "")).get() == company
    assert not Company.objects.filter(company_lookup("bogus", "")).exists()
