"""Shared filtering for the v3 API: one django-filter ``FilterSet`` per resource,
built from the pieces here.

CallRail's conventions, implemented once:

- filters are plain query parameters named after the field (``status=disabled``);
- unknown parameters are ignored; a repeated key keeps its last value
  (``QueryDict.get``), except array parameters written ``name[]`` which keep all;
- ``tags=A`` or ``tags[]=A&tags[]=B`` select rows carrying any of the tags
  (``TagsFilter(split_commas=True)`` also reads ``tags=A,B``, as summary endpoints do);
- ``search=<term>`` matches one term against the resource's ``search_fields``;
- ``company_id`` takes a ``COM…`` id or its numeric form;
- an invalid value for a known filter is a 400 ``{"error": ...}``.

Example::

    class CompanyFilterSet(V3FilterSet):
        search_fields = ("name",)
        status = django_filters.ChoiceFilter(choices=Company.Status.choices)

        class Meta:
            model = Company
            fields: list[str] = []
"""

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.forms import Field, Widget
from django.http import QueryDict
from rest_framework import exceptions

from accounts.fields import parse_public_or_numeric

TRUE_VALUES = ("true", "1", "yes", "on")
FALSE_VALUES = ("false", "0", "no", "off")


def parse_bool(value: Any, name: str = "value") -> bool:
    """CallRail clients send booleans as JSON booleans or as strings ("true")."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    raise exceptions.ValidationError(f"{name} must be true or false")


def query_list(data: QueryDict | dict, name: str, split_commas: bool = False) -> list[str]:
    """All values of an array parameter: ``name[]=a&name[]=b``, plus the last ``name=``.

    With ``split_commas`` the plain form may also hold ``a,b``.
    """
    values: list[str] = []
    getlist = getattr(data, "getlist", None)
    if getlist is not None:
        values.extend(getlist(f"{name}[]"))
    plain = data.get(name)
    if plain not in (None, ""):
        if isinstance(plain, list):
            values.extend(str(item) for item in plain)
        elif split_commas:
            values.extend(part for part in str(plain).split(","))
        else:
            values.append(str(plain))
    return [value.strip() for value in values if value and value.strip()]


def company_lookup(value: Any, prefix: str = "company") -> Q:
    """A ``Q`` matching a company given as ``COM…`` or numeric id; matches nothing when malformed.

    ``prefix`` is the ORM path to the company (``""`` on the Company model itself).
    """
    lookup = parse_public_or_numeric(value, "COM")
    if lookup is None:
        return Q(pk__in=[])
    return Q(**{(f"{prefix}__{field}" if prefix else field): id_value for field, id_value in lookup.items()})


def user_lookup(value: Any, prefix: str = "user") -> Q:
    """A ``Q`` matching a user given as ``USR…`` or numeric id; matches nothing when malformed."""
    lookup = parse_public_or_numeric(value, "USR")
    if lookup is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}__{field}": id_value for field, id_value in lookup.items()})


class CompanyIdFilter(django_filters.CharFilter):
    """``company_id=COM…`` (or numeric): rows of that company. ``field_name`` is the
    ORM path to the company (default ``company``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("field_name", "company")
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value in (None, ""):
            return qs
        return qs.filter(company_lookup(value, self.field_name))


class BooleanStringFilter(django_filters.CharFilter):
    """``name=true|false``; anything else is a 400."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        if value in (None, ""):
            return qs
        return qs.filter(**{self.field_name: parse_bool(value, self.field_name)})


class ArrayWidget(Widget):
    """Reads ``name[]=a&name[]=b`` (and the plain ``name=``) into a list."""

    def __init__(self, split_commas: bool = False) -> None:
        super().__init__()
        self.split_commas = split_commas

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return query_list(data, name, self.split_commas)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data and f"{name}[]" not in data


class ArrayField(Field):
    def clean(self, value: Any) -> list[str]:
        return list(value or [])


class ArrayFilter(django_filters.Filter):
    """A multi-value parameter read as ``name[]=…`` (and the plain ``name=``).

    Subclasses decide how to filter; by default it is ``field_name__in``.
    """

    field_class = ArrayField

    def __init__(self, *args: Any, split_commas: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("widget", ArrayWidget(split_commas=split_commas))
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": value})


class TagsFilter(ArrayFilter):
    """Rows carrying ANY of the named tags (``tags`` is a many-to-many to ``accounts.Tag``).

    A semi-join (``pk IN (SELECT …)``) rather than a join, so no row is repeated and
    no DISTINCT is needed over large tables.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("field_name", "tags")
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: list[str]) -> QuerySet:
        if not value:
            return qs
        m2m = qs.model._meta.get_field(self.field_name)
        through = m2m.remote_field.through
        source = m2m.m2m_field_name()
        target = m2m.m2m_reverse_field_name()
        tagged = through.objects.filter(**{f"{target}__name__in": value}).values(f"{source}_id")
        return qs.filter(pk__in=tagged)


class SearchFilter(django_filters.CharFilter):
    """``search=<term>``: one term, case-insensitive, across the FilterSet's ``search_fields``."""

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        term = (value or "").strip()
        fields = getattr(self.parent, "search_fields", ())
        if not term or not fields:
            return qs
        condition = Q()
        for field in fields:
            condition |= Q(**{f"{field}__icontains": term})
        return qs.filter(condition)


class V3FilterSet(django_filters.FilterSet):
    """Base of every resource FilterSet. Declares ``search`` when ``search_fields`` is set."""

    search_fields: ClassVar[tuple[str, ...]] = ()
    search = SearchFilter()

    def __init__(self, data: QueryDict | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(data, *args, **kwargs)
        if not self.search_fields:
            self.filters.pop("search", None)


class V3FilterBackend(django_filters.rest_framework.DjangoFilterBackend):
    """Applies the FilterSet on collection actions only.

    A single object is fetched by id whatever list filters the query string carries
    (``companies/COM….json?status=disabled`` still finds an active company).
    """

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)
