"""The only settings module. Every knob comes from the environment (12-factor).

Without any environment the project runs on the embedded default: SQLite and a
redis-server on a Unix socket under ``VAR_DIR`` (see ``callrail/embedded.py``).
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from callrail.secrets import var_dir_private, var_secret_key

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

# The embedded default (make run): no DATABASE_URL, so SQLite under VAR_DIR.
EMBEDDED = not env.str("DATABASE_URL", default="")

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (EMBEDDED or DEBUG):
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    # Generated once and kept beside the embedded database (mode 0600), so `make run`, its
    # workers and `manage.py` commands run beside it share one secret that is no constant
    # of the source: the simulated carrier's signing token is derived from it.
    SECRET_KEY = var_secret_key(VAR_DIR)
if EMBEDDED:
    # The SQLite database, Redis socket and credentials there are for this user only.
    var_dir_private(VAR_DIR)

# The absolute base URL Twilio and webhook receivers reach us on; also what
# X-Twilio-Signature is computed against.
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

_LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=_LOCAL_HOSTS if (DEBUG or EMBEDDED) else [])
if DEBUG:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]

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
    "axes",
    "csp",
    "callrail.deferred",
    "accounts",
    "tracking",
    "telephony",
    "integrations",
    "privacy",
    "api",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # The DNI endpoints are answered here; the middleware below is for everything else.
    "tracking.middleware.DniFastPath",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who is acting, and from where, for the audit trail (accounts/audit.py).
    "accounts.audit.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
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
                # {{ CSP_NONCE }} (also {{ request.csp_nonce }}) for an inline script that cannot be a file.
                "csp.context_processors.nonce",
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
# django-axes first: it counts failed sign-ins and refuses locked-out ones before a
# password is checked (every authenticate() call that passes the request).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# The embedded default runs redis-server on this socket (callrail/embedded.py).
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = env.str("REDIS_URL", default=f"unix://{EMBEDDED_REDIS_SOCKET}")
# A Redis Cluster for the number pools, DNI and voice paths instead ("host:port,host:port", some
# of its masters; the rest are discovered). Celery and the cache stay on REDIS_URL.
REDIS_CLUSTER_NODES = env.list("REDIS_CLUSTER_NODES", default=[])
# Seconds any Redis command (and the Celery publish) waits to connect and for a reply: Redis
# is on the DNI and voice paths, and a web thread must never wait on a hung Redis for long.
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=0.5)
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
# After a failure, seconds a process answers "Redis unavailable" at once instead of retrying.
REDIS_RETRY_AFTER = env.float("REDIS_RETRY_AFTER", default=2.0)

# Request body limits (bytes). Django refuses form and raw bodies over
# DATA_UPLOAD_MAX_MEMORY_SIZE (400); the API answers 413 in its error shape over
# API_MAX_BODY_BYTES, before reading the body whole.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)


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
# Publishing happens on request paths (after a call or a form is recorded): bounded in time,
# and what cannot be published is kept in the database (callrail/deferred/) instead.
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": REDIS_TIMEOUT,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "retry_on_timeout": False,
    # Opening a connection to publish is tried once: kombu's default retries sleep 2 s between
    # attempts, which a request cannot afford (the caller falls back to callrail/deferred/).
    "max_retries": 0,
    # Longer than the longest countdown given to a task (post-call deadline: 20 minutes): a
    # message not acknowledged within it is handed to another worker.
    "visibility_timeout": 3600,
}
# One immediate retry at most (a pooled connection a Redis restart left stale).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.1, "interval_max": 0.1}
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = "UTC"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_CONNECT_TIMEOUT},
    }
}

TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
if TWILIO_ACCOUNT_SID and not TWILIO_AUTH_TOKEN:
    raise ImproperlyConfigured("TWILIO_AUTH_TOKEN is required when TWILIO_ACCOUNT_SID is set.")

# Days a recording link (API, emails, dashboard) keeps working; HIPAA accounts' links always
# expire after 24 hours.
RECORDING_LINK_DAYS = env.int("RECORDING_LINK_DAYS", default=7)

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

# Call conversions sent back to the ad platforms. GA4's Measurement Protocol collect URL (tests
# point it at a local receiver); the OAuth client that companies' Google Ads refresh tokens
# were issued to (Google Ads API uploads).
GA4_ENDPOINT = env.str("GA4_ENDPOINT", default="https://www.google-analytics.com/mp/collect")
GOOGLE_ADS_CLIENT_ID = env.str("GOOGLE_ADS_CLIENT_ID", default="")
GOOGLE_ADS_CLIENT_SECRET = env.str("GOOGLE_ADS_CLIENT_SECRET", default="")


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
# Seconds between two reads, by each web process, of the Redis counter that announces a
# change of configuration saved by another process (the longest a change takes to show).
DNI_CONFIG_VERSION_INTERVAL = env.float("DNI_CONFIG_VERSION_INTERVAL", default=1.0)
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

# --- Security ---------------------------------------------------------------------------
# Behind a proxy that terminates TLS: the header telling Django the request came over HTTPS
# (X-Forwarded-Proto). Trusted by default only when PUBLIC_BASE_URL is https; "" turns it off.
_proxy_header = env.str(
    "SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto" if PUBLIC_BASE_URL.startswith("https://") else ""
)
if _proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
# Cookies only over HTTPS when the site is served over HTTPS.
SESSION_COOKIE_SECURE = env_bool(
    "SECURE_COOKIES", default=PUBLIC_BASE_URL.startswith("https://") or bool(_proxy_header)
)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[PUBLIC_BASE_URL])
# Strict-Transport-Security: 0 sends none. Set it (31536000, a year) once HTTPS works everywhere.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
# Redirect plain HTTP to HTTPS (Twilio and swap.js must then use https URLs too).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Pages meant to be embedded (the recording player) opt out per view.
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp) on every page the middleware stack renders (the DNI
# JSON endpoints answer before it). Scripts only from this origin, or inline with the
# request's nonce ({{ request.csp_nonce }}); inline styles stay allowed (the admin and the
# API docs' Redoc set style attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        # The recording player's audio is redirected to the carrier's storage.
        "media-src": [SELF, "https:"],
        "connect-src": [SELF],
        # Redoc renders the API description in a worker built from a blob.
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Sign-in throttling (django-axes, counted in the database) ---------------------------
# Failed sign-ins per email address and, separately, per IP address before that address or
# email is locked out for AXES_COOLOFF_MINUTES. An admin unlocks sooner with
# `manage.py axes_reset_username <email>` / `axes_reset_ip <ip>` or by deleting the
# attempts in /admin/ (Axes > Access attempts).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.signin.signin_username"
AXES_CLIENT_IP_CALLABLE = "accounts.signin.signin_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
AXES_VERBOSE = False
