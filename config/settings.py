"""Ninety's one settings module. Every value comes from the environment (see .env.example).

With nothing set, it runs the embedded default: SQLite, Celery tasks executed eagerly in
the web process, and mail written to files under var/mail, so `make run` shows the whole
product on a laptop without PostgreSQL or Redis.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_pairs, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("NINETY_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"}
DEV_SECRET_KEY = "dev-only-not-secret-ninety-embedded-default"
# The dev key and the value .env.example ships with: neither is a secret.
PLACEHOLDER_SECRET_KEYS = {DEV_SECRET_KEY, "change-me-to-a-long-random-string"}
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
SERVES_PUBLIC_HOSTS = any(host not in LOCAL_HOSTS for host in ALLOWED_HOSTS)

# Refuse, at start-up, the combinations that would leak data on a public host, and a
# deployment (a real secret key) that does not say which hosts it answers to.
if SERVES_PUBLIC_HOSTS and SECRET_KEY in PLACEHOLDER_SECRET_KEYS:
    raise ImproperlyConfigured("SECRET_KEY must be set when ALLOWED_HOSTS names a public host")
if SERVES_PUBLIC_HOSTS and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when ALLOWED_HOSTS names a public host")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is empty: name the host(s) this site answers to")
if not DEBUG and SECRET_KEY not in PLACEHOLDER_SECRET_KEYS and "ALLOWED_HOSTS" not in os.environ:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when SECRET_KEY is set")

# Production: debug off, and a public host or a real secret key. Demo data is refused
# there (load_demo, load_demo_governance).
PRODUCTION = not DEBUG and (SERVES_PUBLIC_HOSTS or SECRET_KEY not in PLACEHOLDER_SECRET_KEYS)
# Served over HTTPS (behind a TLS-terminating proxy): secure cookies, redirect to HTTPS,
# HSTS. On by default for a public host; off for a try-out on http://localhost.
HTTPS = env_bool("NINETY_HTTPS", SERVES_PUBLIC_HOSTS)
# How many reverse proxies of ours stand in front of gunicorn (0: clients connect to it
# directly). Their X-Forwarded-For and X-Forwarded-Proto are believed, nobody else's.
NINETY_TRUSTED_PROXIES = env_int("NINETY_TRUSTED_PROXIES", 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "axes",
    # The JSON API (config/api.py); listed for its templates and Swagger UI static files.
    "ninja",
    "config.accounts",
    "playbook",
    "pilots",
    "governance",
]

MIDDLEWARE = [
    # Outermost: every response, static files and probes included, carries a request id
    # and the security headers; probes answer before the host check (see the classes).
    "config.middleware.RequestIdMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "config.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the person's own choice (kept in their session), else their browser's.
    "config.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.accounts.middleware.SessionTimeoutMiddleware",
    "config.middleware.AccessDeniedLogMiddleware",
    # Last, as django-axes asks: it turns a lockout into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# A link typed without a scheme ("wiki.example.com/runbook") is taken as https, the
# default Django 6 adopts.
FORMS_URLFIELD_ASSUME_HTTPS = True
WSGI_APPLICATION = "config.wsgi.application"

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
                "pilots.context_processors.roles",
            ],
            # Same tags Django 6 has built in, so templates need no {% load %}.
            "builtins": [
                "template_partials.templatetags.partials",
                "django.templatetags.l10n",
                "pilots.templatetags.ninety",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        # A kept connection the server dropped (restart, failover, a terminated backend)
        # is noticed at the start of the next request and replaced, not failed on.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server fails a request (and /readyz) in seconds, not minutes.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env_int(
        "DATABASE_CONNECT_TIMEOUT", 3
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out username and address before any password
# is checked. Five failures for one username from one address lock that pair out for
# 15 minutes (an attempt during the lockout starts them again); a success clears the
# count. The address is the one our proxies vouch for (config.middleware.client_ip).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Refuses every password when NINETY_PASSWORD_LOGIN is off, whichever form sent it.
    "config.accounts.backends.PasswordLoginSwitchBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "config.middleware.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Sessions end after SESSION_IDLE_MINUTES without a request and, whatever the activity,
# SESSION_MAX_HOURS after the login (config.accounts.middleware); a deactivated user's
# sessions are deleted at once (config.accounts.receivers).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 60) * 60
SESSION_COOKIE_AGE = env_int("SESSION_MAX_HOURS", 12) * 3600
PASSWORD_RESET_TIMEOUT = 3 * 3600

# Single sign-on with OpenID Connect (config.accounts.oidc), on when OIDC_ISSUER is set.
# The provider's endpoints and keys come from its discovery document; the callback to
# register with it is SITE_URL + /accounts/sso/callback/.
OIDC_ISSUER = env_str("OIDC_ISSUER")
OIDC_DISCOVERY_URL = env_str(
    "OIDC_DISCOVERY_URL",
    OIDC_ISSUER.rstrip("/") + "/.well-known/openid-configuration" if OIDC_ISSUER else "",
)
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET")
OIDC_SCOPES = env_str("OIDC_SCOPES", "openid email profile")
# Shown on the login page: "Sign in with <name>".
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
# Identity-provider group -> Ninety role(s), applied at every sign-in to the roles named
# here only; checked against the roles by `manage.py check` (config.accounts.checks).
OIDC_ROLE_MAP = env_pairs("OIDC_ROLE_MAP")
# Members of these groups become superusers, and others stop being ones. Empty: claims
# never touch superuser status.
OIDC_SUPERUSER_GROUPS = env_list("OIDC_SUPERUSER_GROUPS", sep=";")
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
# Off: only single sign-on; password logins and password resets are refused.
NINETY_PASSWORD_LOGIN = env_bool("NINETY_PASSWORD_LOGIN", True)
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
if OIDC_ISSUER and "openid" not in OIDC_SCOPES.split():
    raise ImproperlyConfigured("OIDC_SCOPES must include openid")
if not NINETY_PASSWORD_LOGIN and not OIDC_ISSUER:
    raise ImproperlyConfigured("NINETY_PASSWORD_LOGIN=false needs OIDC_ISSUER: nobody could log in")

# The interface, e-mails and PDFs speak these; each person picks one (the language menu,
# kept with their mail settings), else the browser's Accept-Language picks, else English.
# NINETY_LANGUAGE sets the organisation's default, used also for sign-off documents.
LANGUAGES = [("en", "English"), ("nl", "Nederlands"), ("de", "Deutsch")]
LANGUAGE_CODE = env_str("NINETY_LANGUAGE", "en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured("NINETY_LANGUAGE must be one of: en, nl, de")
LOCALE_PATHS = [BASE_DIR / "locale"]
# Where a person's own choice is kept in their session (pilots.language writes it,
# config.middleware.LanguageMiddleware reads it).
NINETY_LANGUAGE_SESSION_KEY = "ninety_language"
# The organisation's zone: deliverable deadlines are calendar dates here; instants in UTC.
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# With STATIC_MANIFEST (the Docker image sets it, after collectstatic) WhiteNoise serves
# hashed, compressed files from gunicorn. Without it, `make run` serves static/ directly
# (runserver, DEBUG) and nothing needs collecting.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
# Uploaded evidence lives under the var directory, never under STATIC_ROOT, and is never
# served by URL: only through the access-checked download view.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
FILE_UPLOAD_PERMISSIONS = 0o640
NINETY_EVIDENCE_MAX_BYTES = env_int("NINETY_EVIDENCE_MAX_MB", 10) * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if STATIC_MANIFEST:
    # Right after SecurityMiddleware, as WhiteNoise asks.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

# Mail: files in the embedded default, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds an SMTP connection may block; a hung server must fail a send well before the
# reminder's lease runs out (see NINETY_REMINDER_SEND_SOFT_TIME_LIMIT below).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Ninety <ninety@localhost>")

# Celery: Redis in production; without a broker the tasks run eagerly in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", env_str("REDIS_URL"))
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL)
if not CELERY_BROKER_URL:
    # Eager tasks still pass through a producer to serialise their arguments; an empty
    # broker URL makes kombu warn about a missing hostname on every one. Nothing is sent.
    CELERY_BROKER_URL = "memory://localhost/"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
# Late acknowledgement: a task whose worker dies is delivered again (our tasks are
# idempotent: rows are leased with conditional UPDATEs). One task at a time per worker
# process, so a redelivery waits for no one else's prefetched work. Redis redelivers an
# unacknowledged task after the visibility timeout: longer than any task runs (a PDF
# takes seconds), short enough that a crash delays reminders by minutes, not an hour.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 300),
    # A web request that queues a task must not hang on a broker that is away: connect
    # and send within seconds, try twice more, then give up (config.celery logs it; the
    # database keeps the work and the beat's scans queue it again).
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# One beat runs these. Each task re-derives its work from the database.
CELERY_BEAT_SCHEDULE = {
    "scan-reminders": {
        "task": "pilots.scan_reminders",
        "schedule": env_int("NINETY_SCAN_SECONDS", 300),
    },
    "verify-audit-chain-nightly": {
        "task": "governance.verify_audit_chain",
        "schedule": crontab(hour=2, minute=30),
    },
    "requeue-stale-signoff-documents": {
        "task": "governance.requeue_stale_documents",
        "schedule": 300,
    },
    "requeue-stale-portfolio-reports": {
        "task": "pilots.requeue_stale_reports",
        "schedule": 300,
    },
    "requeue-webhooks": {
        "task": "governance.requeue_webhooks",
        "schedule": 60,
    },
}

# Django's cache; the API's rate limit counts requests in it. With Redis (CACHE_URL, else
# a redis:// broker) every web process shares the counts; without, each process counts
# its own, enough for the embedded default. Short timeouts: a Redis that is away must not hold
# up a request (the limit is then skipped, see config/api.py).
CACHE_URL = env_str("CACHE_URL", CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: forms carry the token, htmx sends it from hx-headers.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
# The preload directive only: a domain joins browsers' preload lists when someone
# submits it, which is the site owner's decision.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
if NINETY_TRUSTED_PROXIES:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Scripts only from our own static files: no inline script, no eval (htmx is told the
# same in base.html). Style attributes are allowed (bar widths in the charts); style
# elements and sheets come from our static files only.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# Product settings.
NINETY_ORGANISATION = env_str("NINETY_ORGANISATION", "Ninety demo organisation")
# The daily digest goes out from this local time (the organisation's zone).
NINETY_DIGEST_TIME = env_str("NINETY_DIGEST_TIME", "08:00")
# Absolute links in e-mails and calendar feeds start with this.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Reminder delivery: a queued reminder still unsent after REQUEUE seconds is queued again
# by the next scan. Longer than the visibility timeout, after which Redis redelivers a
# message itself, so the 08:00 burst is not queued twice over.
NINETY_REMINDER_REQUEUE_SECONDS = env_int(
    "NINETY_REMINDER_REQUEUE_SECONDS", CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] + 60
)
# A send holds its reminder for at most LEASE seconds. Its task is stopped well before:
# softly (the failure is recorded) at half the lease, for good at three quarters.
NINETY_REMINDER_LEASE_SECONDS = env_int("NINETY_REMINDER_LEASE_SECONDS", 120)
NINETY_REMINDER_SEND_SOFT_TIME_LIMIT = max(1, NINETY_REMINDER_LEASE_SECONDS // 2)
NINETY_REMINDER_SEND_TIME_LIMIT = max(2, NINETY_REMINDER_LEASE_SECONDS * 3 // 4)
# Optional organisation-wide Slack/Teams incoming webhook for gate and escalation events.
NINETY_CHAT_WEBHOOK_URL = env_str("NINETY_CHAT_WEBHOOK_URL")
# Open work due within this many days is marked "due soon".
NINETY_DUE_SOON_DAYS = env_int("NINETY_DUE_SOON_DAYS", 7)
# Requests a minute each personal API token may make (config/api.py); 0 turns it off.
NINETY_API_RATE_PER_MINUTE = env_int("NINETY_API_RATE_PER_MINUTE", 120)
# Outgoing webhooks (governance.webhooks_send): seconds a connection or a read may block.
NINETY_WEBHOOK_TIMEOUT_SECONDS = env_int("NINETY_WEBHOOK_TIMEOUT_SECONDS", 5)
# Accept endpoints on plain http://localhost or 127.0.0.1 (a local receiver; DEBUG does too).
NINETY_WEBHOOK_ALLOW_LOCAL_HTTP = env_bool("NINETY_WEBHOOK_ALLOW_LOCAL_HTTP", False)

# One JSON object a line (config.logs), each with the request or task id it belongs to;
# LOG_FORMAT=text for a readable terminal (the default with DEBUG).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "text": {"()": "config.logs.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every rendering step at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        # Axes narrates every login at INFO; ours (ninety.security) says what matters.
        "axes": {"level": "WARNING"},
    },
}
