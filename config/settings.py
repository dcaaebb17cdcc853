"""Confnotes settings: one file, driven by the environment.

With nothing set, the app runs on SQLite and the in-memory channel layer, which
is what `make run` and `make test` use. `DATABASE_URL` switches to PostgreSQL
(psycopg 3 with its pool) and `REDIS_URL` to the Redis pub/sub channel layer.
"""

import json
import os
import warnings
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # A public fallback key would let anyone sign guest cookies and sessions.
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Confnotes refuses to start without it when DEBUG is off: "
            "set SECRET_KEY to a long random value (python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'), or DEBUG=true for local development. "
            "`make run` makes a local key for you."
        )
    SECRET_KEY = "django-insecure-debug-only-key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",  # only for channels.testing; uvicorn serves the app
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "channels",
    "django_htmx",
    "template_partials",
    "csp",
    "notes",
    "accounts",
    "sessions.apps.ConfSessionsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sessions.archive.permalinks.PermalinkMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=0,  # under ASGI, connections live in the pool, not per thread
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection is waited for at most `timeout` seconds: past that the database is
    # taken to be down (the live engine then stops asking it until it answers again,
    # notes/health.py), instead of holding a thread for the pool's default 30 s.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": 20,
        "timeout": 5,
    }
else:
    # WAL lets readers proceed while the live engine appends updates; IMMEDIATE
    # transactions avoid "database is locked" upgrades between threads.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # A prefix per deployment (or CI run) keeps channel names apart on a shared Redis.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": os.environ.get("REDIS_PREFIX", "confnotes")},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Cache -------------------------------------------------------------------
# The live notes' connection counters and the rate limits ("default"), and rendered
# Markdown ("renders", notes/rendering.py): shared by every worker process through Redis
# when REDIS_URL is set, per process otherwise. Renderings have a cache of their own, so
# that the thousand texts of one "Read it all" page never push counters out: without
# Redis, a process keeps 5,000 renderings (a few MB at the size of ordinary notes).
NOTES_RENDER_CACHE = "renders"
if REDIS_URL:
    _redis_prefix = os.environ.get("REDIS_PREFIX", "confnotes")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _redis_prefix,
        },
        NOTES_RENDER_CACHE: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{_redis_prefix}-renders",
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        NOTES_RENDER_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "renders",  # locmem caches of one LOCATION share their store
            "OPTIONS": {"MAX_ENTRIES": 5000},
        },
    }

# --- Accounts (django-allauth) --------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",  # the admin's username sign-in
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "sessions:home"
LOGOUT_REDIRECT_URL = "sessions:home"
ACCOUNT_LOGIN_METHODS = {"email", "username"}
# No username to choose: allauth derives one from the email address; accounts made in
# the admin still sign in with theirs.
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.signup.SignupForm"  # imported by allauth.account.forms
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Confnotes] "
# Counted in the cache above. "login_failed" is also what the sign-in form states
# (accounts/forms.py reads it): 5 wrong passwords for one account, 20 per minute per IP.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": os.environ.get("SIGNUP_RATE", "30/10m/ip"),
    "reset_password": "20/m/ip,5/m/key",
    "change_password": "5/m/user",
}
# Behind a proxy, the client's address is the Nth address from the right of
# X-Forwarded-For (per-IP limits would otherwise count every visitor as the proxy).
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# --- Email ----------------------------------------------------------------------
# Printed on the console unless an SMTP server is named.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", EMAIL_PORT == 587)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", EMAIL_PORT == 465)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Confnotes <confnotes@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# --- i18n / time ------------------------------------------------------------
LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Only needed for `collectstatic` in a deployment that serves files from elsewhere.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
# Serve straight from static/ so `make run` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# WhiteNoise hands Django's ASGI handler a file iterator, which Django then reads
# in a worker thread and warns about; that is the intended path for static files.
warnings.filterwarnings(
    "ignore",
    message="StreamingHttpResponse must consume synchronous iterators",
    module="django.core.handlers.asgi",
)

# --- Security -------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from <body hx-headers>, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Served over HTTPS: on by default whenever DEBUG is off. `make run` turns it off to
# serve plain HTTP on the loopback address.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"  # links in allauth's emails
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
# Behind a TLS-terminating proxy (nginx), the proxy says which scheme the client used,
# e.g. PROXY_SSL_HEADER=X-Forwarded-Proto. Set it only when the proxy always sets or
# overwrites that header: otherwise a client could claim HTTPS.
_proxy_ssl_header = os.environ.get("PROXY_SSL_HEADER", "").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _proxy_ssl_header.upper().replace("-", "_"),
        "https",
    )

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # CodeMirror injects <style> elements: they carry the per-request nonce.
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The notes import's preview posts a kind and the speakers of every item (a notes
# repository can hold hundreds): more than Django's default of 1,000 fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Confnotes -------------------------------------------------------------------
# `notes` is a generic live-document engine; it asks this policy (provided by
# `sessions`) who may read or write a note, and what the note belongs to.
NOTES_POLICY = "sessions.policy.EventNotePolicy"

# Who may create events in the app: "users" (any signed-in user, who becomes its
# organizer) or "staff".
EVENT_CREATION = os.environ.get("EVENT_CREATION", "users")

# Limits per identity (a user, or a guest's browser key) and per IP address, counted in
# the cache: "<count>/<period>" with periods s, m, h, d (e.g. "10/m" or "30/10m").
# Override some as JSON: LIMITS='{"propose": "5/h"}'.
LIMITS = {
    "propose": "10/10m",
    "interest": "60/m",
    # Stars on talks and open spaces (an open space's star is also counted as "interest").
    "star": "120/m",
    # Ticking a checklist item in a note's reading view.
    "tick": "120/m",
    # New secret addresses of one's agenda feed (resets).
    "agenda_feed": "10/h",
    # New guest identities (browsers without a guest cookie) per IP address: coarse,
    # because a whole conference may share one address.
    "guest_new_ip": "300/10m",
    "import": "20/10m",
    "invite": "30/h",
    **json.loads(os.environ.get("LIMITS") or "{}"),
}
# The most an import may upload at once (all files together), in bytes.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024)

# Tunables of the live notes engine (defaults in notes/conf.py), as JSON, e.g.
# NOTES_LIVE='{"MAX_QUEUED_BYTES": 1048576}'.
NOTES_LIVE = json.loads(os.environ.get("NOTES_LIVE") or "{}")

# Prometheus /metrics (notes/metrics.py) answers scrapers on a loopback address, and
# those that send `Authorization: Bearer <METRICS_TOKEN>` when it is set.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# LOG_FORMAT=json: one JSON object per line (for a log collector); plain text otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "notes": {"level": os.environ.get("NOTES_LOG_LEVEL", "INFO")},
        "sessions": {"level": "INFO"},
        # uvicorn's own lines go through the same handler (config/server.py).
        "uvicorn": {"level": "INFO", "handlers": [], "propagate": True},
        "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
    },
}
