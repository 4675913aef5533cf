"""Call flows: what a tracking number does when it rings.

A flow is CallRail's ``call_flow`` object. *Basic*: a greeting (text wins over a
recording when both are set), then ring the destination, optionally recorded.
*Advanced*: steps joined by ids, starting at ``initial_step_id``. The step types are
CallRail's documented ``dial``, ``menu`` and ``voicemail`` plus the ones such
products offer in their editors:

=================  ==========================================================================
``dial``           ring ``destination_number`` for ``timeout`` s; no answer → ``timeout_step_id``
``simultaneous``   ring up to 10 ``destination_numbers`` at once; first to answer wins
``round_robin``    ring ``destination_numbers`` one at a time, starting with the next in turn
                   (a repeat caller starts with the person who answered them last time)
``menu``           play ``prompt_text``/``prompt_recording_url``, wait for one key; ``menu_options``
                   map keys to steps; no or invalid input repeats it ``repeat`` times, then
                   ``no_input_step_id`` (or goodbye)
``voicemail``      play the prompt, record a message (``transcribe`` for a transcription)
``schedule``       open hours (``hours`` per weekday, ``closed_dates``) in the company's time
                   zone (or ``time_zone``) → ``open_step_id`` / ``closed_step_id``
``tag``            apply ``tags`` to the call → ``next_step_id``
``message``        play a prompt → ``next_step_id``
``hangup``         optional prompt, then hang up
=================  ==========================================================================

TwiML is stateless, so a flow that needs the caller (a menu, a dial that may time
out, a voicemail) continues at ``/telephony/twilio/flow?call=…&step=…&event=…``;
Twilio signs those requests like the first one. Steps that need nobody (schedule,
tag, message) run inside the same answer.

``validation`` checks a flow and puts it in step form; ``runtime`` plays it to a caller
(``FlowRun``) and builds the other TwiML answers; ``tag_rewrite`` keeps flows in step
with the tags they name when one is renamed or deleted.
"""
