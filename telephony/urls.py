from django.urls import path

from telephony import webhooks

app_name = "telephony"

urlpatterns = [
    path("twilio/voice", webhooks.voice, name="twilio-voice"),
    path("twilio/flow", webhooks.flow, name="twilio-flow"),
    path("twilio/whisper", webhooks.whisper, name="twilio-whisper"),
    path("twilio/dial-status", webhooks.dial_status, name="twilio-dial-status"),
    path("twilio/status", webhooks.status, name="twilio-status"),
    path("twilio/recording", webhooks.recording, name="twilio-recording"),
    path("twilio/transcription", webhooks.transcription, name="twilio-transcription"),
    path("twilio/outbound", webhooks.outbound, name="twilio-outbound"),
    path("twilio/sms", webhooks.sms, name="twilio-sms"),
    path("twilio/sms-status", webhooks.sms_status, name="twilio-sms-status"),
    path("recordings/<str:public_id>", webhooks.recording_media, name="recording"),
    path("recordings/<str:public_id>/player", webhooks.recording_player, name="recording-player"),
]
