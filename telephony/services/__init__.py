"""Writes of the call lifecycle, one module per job: ``lookups`` (what a Twilio request is
about), ``callers`` (who is calling and what brought them), ``inbound`` (answering a
call from its flow), ``callbacks`` (status, recording and transcription; Post-Call),
``outbound`` (calls placed for the business), ``edits`` (a marketer's changes to a call)
and ``texts`` (text messages).

Views parse Twilio's request and call one of these; each does its writes in one
transaction and announces what happened with ``telephony.signals`` inside it.
"""
