import pytest
from django.core.exceptions import ValidationError

from accounts.models import Company, Tag
from accounts.services import tag_by_name, tags_for_names


def names(company: Company, given: object) -> list[str]:
    return [tag.name for tag in tags_for_names(account_id=company.account_id, company_id=company.pk, names=given)]


def test_the_company_tag_comes_before_the_account_tag_of_that_name(company):
    account_tag = Tag.objects.create(account=company.account, company=None, name="Sales", tag_level=Tag.Level.ACCOUNT)
    assert tag_by_name(account_id=company.account_id, company_id=company.pk, name="Sales") == account_tag
    own = Tag.objects.create(account=company.account, company=company, name="Sales")
    assert tag_by_name(account_id=company.account_id, company_id=company.pk, name="Sales") == own


def test_an_unknown_name_becomes_a_company_tag(company):
    assert names(company, ["  New Client "]) == ["New Client"]
    tag = Tag.objects.get(name="New Client")
    assert (tag.company, tag.tag_level) == (company, Tag.Level.COMPANY)


def test_one_name_null_and_empty_are_accepted(company):
    assert names(company, "Solo") == ["Solo"]
    assert names(company, None) == []
    assert names(company, "") == []


def test_a_disabled_tag_cannot_be_applied(company):
    Tag.objects.create(account=company.account, company=company, name="Old", status=Tag.Status.DISABLED)
    with pytest.raises(ValidationError, match="The tag 'Old' is disabled"):
        names(company, ["Old"])


@pytest.mark.parametrize(("given", "message"), [([1], "list of tag names"), (["x" * 101], "at most 100")])
def test_malformed_names_are_refused(company, given, message):
    with pytest.raises(ValidationError, match=message):
        names(company, given)
