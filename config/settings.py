"""Ninety's one settings module. Every value comes from the environment (see .env.example).

With nothing set, it runs the embedded default: SQLite, Celery tasks executed eagerly in
the web process, and mail written to files under var/mail, so `make run` shows the whole
product on a laptop without PostgreSQL or Redis.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("NINETY_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"}
DEV_SECRET_KEY = "dev-only-not-secret-ninety-embedded-default"
SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
SERVES_PUBLIC_HOSTS = any(host not in LOCAL_HOSTS for host in ALLOWED_HOSTS)

# Refuse, at start-up, the combinations that would leak data on a public host.
if SERVES_PUBLIC_HOSTS and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when ALLOWED_HOSTS names a public host")
if SERVES_PUBLIC_HOSTS and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when ALLOWED_HOSTS names a public host")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "playbook",
    "pilots",
    "governance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
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
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if STATIC_MANIFEST:
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

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
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every rendering step at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
    },
}
