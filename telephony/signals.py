"""What happened on the phone network, announced for the interface layer.

Sent inside the transaction that records the change, so receivers (outgoing
webhooks, notifications) can write their own rows atomically with it. Domain
code never knows who listens.
"""

from django.dispatch import Signal

# An inbound call arrived and was recorded, before it is connected (Pre-Call). kwargs: call
call_started = Signal()
# An inbound call was answered by the business (Call Routing Complete). kwargs: call
call_routed = Signal()
# A call ended and its recording/transcription are attached (Post-Call; outbound too). kwargs: call
call_completed = Signal()
# A finished call was changed (tags, note, value, lead status, recording...). kwargs: call, changes (list[str])
call_modified = Signal()
# An SMS arrived on a tracking number. kwargs: message
text_message_received = Signal()
# An SMS was sent from a tracking number. kwargs: message
text_message_sent = Signal()
# A call placed by the simulator was moved to a past moment (``simulate_call --at``), with
# the rows it created. kwargs: call, delta (timedelta added to every time)
call_backdated = Signal()
