from django.urls import path

from telephony import views

app_name = "telephony"

urlpatterns = [
    path("twilio/voice", views.voice, name="twilio-voice"),
    path("twilio/flow", views.flow, name="twilio-flow"),
    path("twilio/whisper", views.whisper, name="twilio-whisper"),
    path("twilio/dial-status", views.dial_status, name="twilio-dial-status"),
    path("twilio/status", views.status, name="twilio-status"),
    path("twilio/recording", views.recording, name="twilio-recording"),
    path("twilio/transcription", views.transcription, name="twilio-transcription"),
    path("twilio/outbound", views.outbound_answered, name="twilio-outbound"),
    path("twilio/sms", views.sms, name="twilio-sms"),
    path("twilio/sms-status", views.sms_status, name="twilio-sms-status"),
]
