# Served through WSGI (gunicorn) in production: on this class of machine Django
# under ASGI measured about 4x slower. Kept for tooling that expects it.
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callrail.settings")
application = get_asgi_application()
