"""Outgoing webhooks: CallRail's events, signed and delivered from an outbox.

``events`` says which event goes where, ``payloads`` builds the bodies,
``outbox`` records them inside the writing transaction, ``delivery`` posts them
(from Celery only), ``safety`` refuses private receivers, ``signing`` signs.
"""
