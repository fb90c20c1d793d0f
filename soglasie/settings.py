"""Django settings for Soglasie, read from the environment (see README, "Configuration")."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from soglasie.env import env_bool, env_database, env_files_storage, env_int, env_list, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("SOGLASIE_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key("SECRET_KEY", VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SITE_URL") or f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1, maximum=65535)}"
# How many reverse proxies stand in front of the web server: the client's address is then taken from
# X-Forwarded-For (org.auth.client_address) and https from X-Forwarded-Proto. 0: nothing is believed.
TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0, minimum=0, maximum=10)
# Production over https: the SECURE_* settings below are on when DEBUG is off and SITE_URL is https.
HTTPS = not DEBUG and SITE_URL.lower().startswith("https://")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # only for its static files: the API docs page takes Swagger UI from them, not from a CDN
    "soglasie",
    "org",
    "files",
    "discussion",
    "engine",
    "work",
    "processes",
    "crm",
    "tasks",
    "notify",
    "analytics",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "soglasie.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "soglasie.middleware.IdleSessionMiddleware",
    "soglasie.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "soglasie.middleware.RefusalPagesMiddleware",
]

ROOT_URLCONF = "soglasie.urls"
WSGI_APPLICATION = "soglasie.wsgi.application"
ASGI_APPLICATION = "soglasie.asgi.application"

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
                "django.template.context_processors.i18n",
                "soglasie.context.navigation",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", VAR_DIR / "soglasie.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# For people setting a password (the admin, createsuperuser, changepassword); `seed_demo --password`
# sets the demo's on purpose without them.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Failed log-ins within LOGIN_LOCKOUT_MINUTES before further attempts are refused (web page and
# token endpoint alike, org.auth): for one username from one address, for one username from any
# address, from one address over any usernames.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
LOGIN_USERNAME_FAILURE_LIMIT = env_int("LOGIN_USERNAME_FAILURE_LIMIT", 20, minimum=1, maximum=10_000)
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 20, minimum=1, maximum=10_000)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1, maximum=24 * 60)

# API tokens expire API_TOKEN_DAYS after they are issued; each token may send API_RATE_LIMIT
# requests a second, with bursts of up to API_RATE_BURST (api.auth; 0 turns the limit off).
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, minimum=1, maximum=3650)
API_RATE_LIMIT = env_int("API_RATE_LIMIT", 300, minimum=0, maximum=1_000_000)
API_RATE_BURST = env_int("API_RATE_BURST", 1000, minimum=1, maximum=10_000_000)

LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Русский")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One short date and one date-time format per language (base.words): Django's for Russian, ours for English.
FORMAT_MODULE_PATH = ["soglasie.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE") or "Europe/Moscow"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Stored files (files/): under var/files, or an S3-compatible bucket with FILES_STORAGE=s3.
    "files": env_files_storage("FILES_STORAGE", VAR_DIR / "files"),
}
# The largest stored file, in MiB: a bigger upload is stopped while it arrives (files.http) and
# answered 413 with a sentence.
FILES_MAX_MB = env_int("FILES_MAX_MB", 50, minimum=1, maximum=100 * 1024)
FILE_UPLOAD_HANDLERS = [
    "files.http.SizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# E-mail: the EMAIL_* variables (as in Django) fill Django 6.1's MAILERS setting.
_email_tls, _email_ssl = env_bool("EMAIL_USE_TLS", False), env_bool("EMAIL_USE_SSL", False)
if _email_tls and _email_ssl:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on.")
MAILERS = {
    "default": {
        "BACKEND": env_str("EMAIL_BACKEND") or "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env_str("EMAIL_HOST") or "127.0.0.1",
            "port": env_int("EMAIL_PORT", 25, minimum=1, maximum=65535),
            "username": env_str("EMAIL_HOST_USER"),
            "password": env_str("EMAIL_HOST_PASSWORD"),
            "use_tls": _email_tls,
            "use_ssl": _email_ssl,
            "timeout": env_int("EMAIL_TIMEOUT", 10, minimum=1, maximum=600),
        },
    }
}
if MAILERS["default"]["BACKEND"] != "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "soglasie@localhost"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
# A session ends after SESSION_IDLE_HOURS without a request (soglasie.middleware.IdleSessionMiddleware).
SESSION_IDLE_HOURS = env_int("SESSION_IDLE_HOURS", 12, minimum=1, maximum=24 * 90)
SESSION_COOKIE_AGE = SESSION_IDLE_HOURS * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
if TRUSTED_PROXIES:
    # The proxy must set (not pass on) X-Forwarded-Proto; without it, behind a proxy that ends TLS,
    # every request would look like plain http and the redirect below would loop.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
_hsts_seconds = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600, minimum=0, maximum=2 * 365 * 24 * 3600)
SECURE_HSTS_SECONDS = _hsts_seconds if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if not SECURE_HSTS_PRELOAD:
    # Asking browsers to preload HSTS for the whole domain is the owner's decision (and hard to
    # undo), not an oversight for `check --deploy` to keep reminding of: SECURE_HSTS_PRELOAD=1 opts in.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content-Security-Policy (Django's own middleware): scripts only from our static files, so no
# inline <script>, no on…= attributes and no hx-on (static/js/soglasie.js does their work; htmx's
# eval is off in base.html). Inline styles stay allowed: the diagrams' SVG, htmx's indicator style
# and the admin use them, and a style runs no script. The API docs page has a policy of its own
# (api.api.DOCS_CSP).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Company lookup by ИНН (crm.lookup, docs/company-lookup.md): a DaData-compatible findById/party
# service. Without a token the «Заполнить по ИНН» button is hidden and the API answers 503.
COMPANY_LOOKUP_URL = (
    env_str("COMPANY_LOOKUP_URL") or "https://suggestions.dadata.ru/suggestions/api/4_1/rs/findById/party"
)
if not COMPANY_LOOKUP_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"COMPANY_LOOKUP_URL must start with https:// or http://; got {COMPANY_LOOKUP_URL!r}.")
COMPANY_LOOKUP_TOKEN = env_str("COMPANY_LOOKUP_TOKEN")
COMPANY_LOOKUP_TIMEOUT = env_int("COMPANY_LOOKUP_TIMEOUT", 5, minimum=1, maximum=60)
COMPANY_LOOKUP_DAILY_LIMIT = env_int("COMPANY_LOOKUP_DAILY_LIMIT", 10000, minimum=0, maximum=10_000_000)

# Lets `run_timers --until` take an instant in the future (demos and acceptance tests only).
SOGLASIE_TIME_TRAVEL = env_bool("SOGLASIE_TIME_TRAVEL", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    # fontTools logs every glyph it keeps while fpdf2 subsets the approval sheet's font.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "spiff": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
