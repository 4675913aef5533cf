"""Visitor-side events, announced for the interface layer (sent inside the
writing transaction; see telephony/signals.py)."""

from django.dispatch import Signal

# A form was captured on a company's site. kwargs: submission
form_submitted = Signal()
# A session tracker's pool had no free number for a new visitor. kwargs: tracker
pool_exhausted = Signal()
