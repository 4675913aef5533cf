"""Database helpers for the hot paths.

``select_columns`` and ``from_row`` read rows with plain SQL into model instances,
skipping the ORM's compile of a query and ``raw()``'s per-query column mapping
(each cost more CPU than the database spends on a one-row lookup).

``prepared_cursor`` runs them as statements PostgreSQL prepares: Django's cursors
bind parameters client-side, so PostgreSQL parses and plans every statement anew,
which on these short hot statements costs more than running them.

``insert`` stores a new model instance the way ``save(force_insert=True)`` does,
in one statement with one parameter on PostgreSQL. A wide model (a call has ~55
columns) costs the ORM more CPU to compile into SQL, and psycopg more to bind
(it caches the parsing of statements of at most 50 parameters only), than the
database takes to store it. The row travels as one JSON document instead, and the
statement text is built once per model.
"""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.backends.utils import CursorWrapper
from django.db.models.signals import post_save, pre_save

ModelT = TypeVar("ModelT", bound=models.Model)


@contextmanager
def prepared_cursor(using: str = DEFAULT_DB_ALIAS) -> Iterator[CursorWrapper]:
    """A Django cursor whose statements PostgreSQL prepares once per connection.

    Parameters are bound server-side, so psycopg prepares a statement after its
    ``prepare_threshold`` runs (``DATABASE_PREPARED_STATEMENTS``; with it off, this is
    an ordinary server-side binding cursor). It is still wrapped as Django wraps its
    own, so query logging and execute wrappers see it. Other databases get Django's
    own cursor.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        # A psycopg Cursor bound to the connection; the stubs declare the class without that base.
        raw = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
    # Django's own wrapping of a new cursor (logging, execute wrappers), private and not in the stubs.
    with connection._prepare_cursor(raw) as cursor:  # type: ignore[attr-defined]
        yield cursor


def column_name(field: models.Field) -> str:
    """A concrete field's column (None only for fields that have none, which these never are)."""
    assert field.column is not None
    return field.column


@cache
def select_columns(model: type[models.Model], alias: str) -> str:
    """Every concrete column of ``model``, in the order ``from_row`` expects (``alias.col, ...``)."""
    quote = connections["default"].ops.quote_name
    return ", ".join(f"{alias}.{quote(column_name(field))}" for field in model._meta.concrete_fields)


@cache
def _attnames(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@cache
def _converters(model: type[models.Model], using: str) -> list[tuple[int, list[Any], Any]]:
    """What the ORM's compiler applies to each column read (JSON decoding; SQLite's
    booleans, times and decimals), as ``SQLCompiler.apply_converters`` does."""
    connection = connections[using]
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        column = field.get_col(model._meta.db_table)
        functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if functions:
            found.append((index, functions, column))
    return found


def from_row(model: type[ModelT], row: Sequence[Any], using: str = "default") -> ModelT:
    """The instance behind ``row``, whose first values are ``select_columns(model)``'s."""
    values = list(row[: len(model._meta.concrete_fields)])
    connection = connections[using]
    for index, functions, column in _converters(model, using):
        for function in functions:
            values[index] = function(values[index], column, connection)
    return model.from_db(using, _attnames(model), values)


def insert(instance: models.Model) -> None:
    """Insert ``instance`` as a new row and set its primary key, as ``save(force_insert=True)``.

    A model something listens to (``pre_save``/``post_save`` receivers) is saved the
    ORM's way, so no receiver is ever skipped."""
    model = type(instance)
    using = router.db_for_write(model, instance=instance)
    connection = connections[using]
    if connection.vendor != "postgresql" or pre_save.has_listeners(model) or post_save.has_listeners(model):
        instance.save(force_insert=True, using=using)
        return
    document = {field.column: _value(field, instance, connection) for field in _fields(model)}
    with prepared_cursor(using) as cursor:
        cursor.execute(_statement(model), [json.dumps(document, cls=DjangoJSONEncoder)])
        instance.pk = cursor.fetchone()[0]
    instance._state.adding = False
    instance._state.db = using


@cache
def _fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(field for field in model._meta.concrete_fields if not field.primary_key)


@cache
def _statement(model: type[models.Model]) -> str:
    quote = connections["default"].ops.quote_name
    table = quote(model._meta.db_table)
    columns = [quote(column_name(field)) for field in _fields(model)]
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join('r.' + c for c in columns)} FROM jsonb_populate_record(NULL::{table}, %s::jsonb) AS r "
        f"RETURNING {quote(column_name(model._meta.pk))}"
    )


def _value(field: models.Field, instance: models.Model, connection: Any) -> Any:
    value = field.pre_save(instance, add=True)  # fills auto_now(_add) times, as save() does
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return value  # a jsonb column takes the JSON value itself
    if type(value) in (str, bool, int):
        return value  # what get_db_prep_save would give back, at a fraction of the cost
    value = field.get_db_prep_save(value, connection=connection)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    raise TypeError(f"{field.model.__name__}.{field.name}: no JSON form for {type(value).__name__}")
