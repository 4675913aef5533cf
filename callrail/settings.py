"""The only settings module. Every knob comes from the environment (12-factor).

Without any environment the project runs on the embedded default: SQLite and a
redis-server on a Unix socket under ``VAR_DIR`` (see ``callrail/embedded.py``).
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def env_bool(name: str, default: bool) -> bool:
    """A strict boolean: a typo such as DEBUG=ture must fail, not read as False."""
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}.")


if env_bool("READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(BASE_DIR / ".env")

# Where the embedded default keeps its SQLite file, Redis socket and logs.
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
if DEBUG:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]

# The absolute base URL Twilio and webhook receivers reach us on; also what
# X-Twilio-Signature is computed against.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "accounts",
    "tracking",
    "telephony",
    "integrations",
    "api",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # The DNI endpoints are answered here; the middleware below is for everything else.
    "tracking.middleware.DniFastPath",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who is acting, and from where, for the audit trail (accounts/audit.py).
    "accounts.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "callrail.urls"
WSGI_APPLICATION = "callrail.wsgi.application"
# API paths must never be redirected (CallRail clients do not follow them).
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Opening a PostgreSQL connection per request is 7-10x slower than reusing
    # one on this class of machine, so connections persist and are health-checked.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=600)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The hot paths' statements (a new visit, a call) are prepared once per connection:
    # parsing and planning them cost PostgreSQL more than running them. The ORM's own
    # queries bind client-side and are never prepared. Turn off behind a pooler in
    # transaction mode that cannot carry prepared statements (PgBouncer < 1.21).
    if env_bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # Web and worker processes share the file: WAL plus a busy timeout
            # keeps concurrent writers from failing with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# The embedded default runs redis-server on this socket (callrail/embedded.py).
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env.str("REDIS_URL", default=f"unix://{EMBEDDED_REDIS_SOCKET}")


def _broker_url(redis_url: str) -> str:
    # kombu spells Unix-socket Redis as redis+socket://
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url[len("unix://") :]
    return redis_url


CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=_broker_url(REDIS_URL))
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for another
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 120
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
    }
}

TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
if TWILIO_ACCOUNT_SID and not TWILIO_AUTH_TOKEN:
    raise ImproperlyConfigured("TWILIO_AUTH_TOKEN is required when TWILIO_ACCOUNT_SID is set.")

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="calltracking@localhost")

# Outgoing webhooks. Receivers on private, loopback or link-local addresses are
# refused unless allowed (self-hosted installs may post inside their own network).
WEBHOOKS_ALLOW_PRIVATE = env_bool("WEBHOOKS_ALLOW_PRIVATE", default=False)
# Seconds to connect and to wait for each read from a receiver.
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=10.0)
# How long failed deliveries are retried (exponential backoff from 10 s), in seconds.
WEBHOOKS_RETRY_WINDOW = env.int("WEBHOOKS_RETRY_WINDOW", default=6 * 3600)
# Events given up in a row on one receiver URL before its integration is disabled.
WEBHOOKS_DISABLE_AFTER = env.int("WEBHOOKS_DISABLE_AFTER", default=20)
# Days the delivery log and finished events are kept.
WEBHOOKS_LOG_RETENTION_DAYS = env.int("WEBHOOKS_LOG_RETENTION_DAYS", default=30)

# Days the audit trail is kept for an account without a data retention period of its own (0: forever).
AUDIT_LOG_RETENTION_DAYS = env.int("AUDIT_LOG_RETENTION_DAYS", default=760)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True  # every time is stored in UTC

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# whitenoise warns at every start when the collectstatic target is missing.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Without collectstatic (make run, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The dashboard's sign-in; signed-in users land on its overview (operators without an
# account are sent on to /admin/ from there).
LOGIN_URL = "dashboard:sign-in"
LOGIN_REDIRECT_URL = "dashboard:overview"
LOGOUT_REDIRECT_URL = "dashboard:sign-in"

# The DNI endpoint is public; its CORS answer is decided per request by the view
# (a company's own sites), so the middleware only covers it here.
CORS_URLS_REGEX = r"^/dni/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False

# DNI (tracking/dni.py): seconds a company's trackers stay cached in each web process.
DNI_CONFIG_TTL = env.int("DNI_CONFIG_TTL", default=10)
# A call after a visitor's hold lapsed still goes to them for this long (seconds),
# unless the number was given to someone else since.
DNI_ATTRIBUTION_GRACE = env.int("DNI_ATTRIBUTION_GRACE", default=3600)
# Behind a proxy that sets X-Forwarded-For, read visitors' IPs from it.
DNI_TRUST_X_FORWARDED_FOR = env_bool("DNI_TRUST_X_FORWARDED_FOR", default=False)
# New pool numbers one public IP address may take per pool per 10 minutes (0: no limit).
DNI_NEW_HOLDS_PER_IP = env.int("DNI_NEW_HOLDS_PER_IP", default=30)
# Days visitor sessions, their page views and number-assignment log are kept after the last
# activity (sessions a call or form submission points at are kept); 0 keeps everything.
DNI_SESSION_RETENTION_DAYS = env.int("DNI_SESSION_RETENTION_DAYS", default=760)
# New visits written together by a web process share one statement and commit (PostgreSQL).
DNI_GROUP_COMMIT = env_bool("DNI_GROUP_COMMIT", default=True)
# Benchmarks only: mounts /dni/_baseline, a minimal view doing one Redis round trip.
DNI_BENCH_BASELINE = env_bool("DNI_BENCH_BASELINE", default=False)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.v3.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.v3.parsers.JSONBodyParser"],
    "DEFAULT_FILTER_BACKENDS": ["api.v3.filters.V3FilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["api.v3.throttling.AccountRateThrottle"],
    "DEFAULT_PAGINATION_CLASS": "api.v3.pagination.OffsetPagination",
    "EXCEPTION_HANDLER": "api.v3.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "api.v3.schema.V3AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

# Per-account API limits as (hourly, daily), per scope (api/v3/throttling.py); the
# reference's defaults apply to any scope not set here.
API_RATE_LIMITS: dict[str, tuple[int, int]] = {}

SPECTACULAR_SETTINGS = {
    "TITLE": "Call tracking API (CallRail v3 compatible)",
    "DESCRIPTION": "A self-hosted implementation of CallRail's API v3.",
    "VERSION": "3",
    "SERVE_INCLUDE_SCHEMA": False,
    "REDOC_DIST": "SIDECAR",
    "DEFAULT_GENERATOR_CLASS": "api.v3.schema.V3SchemaGenerator",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.v3.schema.add_error_responses",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=PUBLIC_BASE_URL.startswith("https://"))
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_BASE_URL])
