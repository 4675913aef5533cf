"""Celery tasks kept in the database while the broker cannot take them (see ``services``)."""
