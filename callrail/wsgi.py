import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "callrail.settings")
application = get_wsgi_application()


def _settle() -> None:
    """Load every view now, then keep everything loaded out of the garbage collector's scans.

    A worker holds ~120,000 long-lived objects (Django, the apps, their URL patterns).
    Left in the collector's care, every full collection walks all of them and stalls
    the worker for tens of milliseconds, every few hundred requests: that stall was
    the slowest percentile of the webhook and DNI latencies. Frozen, a collection
    walks only what requests allocated.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf and with it every view module
    gc.collect()
    gc.freeze()


_settle()
