"""Newsroom settings: one module, every environment-specific value from the environment.

The defaults need no service (SQLite, local-memory cache, console email, media on disk).
`DEBUG` is off unless the environment turns it on; with it off the site refuses to start
without a real `SECRET_KEY` and `ALLOWED_HOSTS`. The README lists every variable.
"""

import os
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from js_asset import static_lazy

from articles import editor_blocks

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


def env_float(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else None
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from exc


def env_addresses(name: str) -> list[tuple[str, str]]:
    """`Night desk <desk@example.org>, ops@example.org` as the (name, address) pairs Django wants."""
    pairs = getaddresses([os.environ.get(name, "")])
    for _, address in pairs:
        local, _, domain = address.rpartition("@")
        if not local or not domain:
            raise ImproperlyConfigured(f"{name} must list email addresses (`Name <addr>` or `addr`), comma-separated.")
    return pairs


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=1 for local development."
        )
    SECRET_KEY = "django-insecure-local-development-only-never-use-this-in-production"  # noqa: S105 (DEBUG only)
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY is too weak for production: use 50+ random characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "ALLOWED_HOSTS is not set. List the site's host names, comma-separated "
        "(e.g. ALLOWED_HOSTS=news.example.org), or set DEBUG=1 for local development."
    )
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "newsroom.apps.NewsroomAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "taggit",
    "reversion",
    "django_prose_editor",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "articles",
    "newsletter",
    "pages",
    "audit",
    "accounts",
    "embeds",
    "live",
]

# A reader's page from the cache is answered before Django sees the request (newsroom/wsgi.py); through Django,
# as early as can be: outside everything but HEAD, health checks and conditional GETs, so what it keeps has
# every header (security ones included) the page went out with. The request id is outside even that: a page kept in
# the cache must not keep one request's id.
MIDDLEWARE = [
    "newsroom.request_id.RequestIdMiddleware",
    "newsroom.head.HeadMiddleware",
    "newsroom.health.HealthCheckMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "newsroom.public_cache.PublicCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "newsroom.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "newsroom.badinput.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Changes to accounts made in Django's own admin pages are put down to the request's user (audit/receivers.py).
    "audit.services.acting_person",
    "newsroom.accounts.idle_timeout",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
# Only staff sign in, and only to the back office; a rejected ?next= lands on its index, not a 404.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
WSGI_APPLICATION = "newsroom.wsgi.application"

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
                "articles.context_processors.site",
                "newsletter.context_processors.signup",
                "pages.context_processors.footer",
            ],
            # {% fragment %}: parts of pages cached until what they show changes.
            "libraries": {"fragments": "newsroom.fragments", "inline": "newsroom.inline"},
        },
    },
]

# Database: SQLite file by default; DATABASE_URL=postgres://… for PostgreSQL (psycopg 3).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Short queries only: PostgreSQL's JIT compiler spent longer compiling them than running them.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
    if env_bool("DB_PREPARED_STATEMENTS", True):
        # A query run a few times on a connection is parsed and planned once: planning was up to half of the
        # database's time on a page made from nothing (bench/README.md). Needs parameters bound by the server;
        # behind a pooler in transaction mode that cannot keep them (PgBouncer before 1.21), set it to 0.
        DATABASES["default"]["OPTIONS"].update(server_side_binding=True, prepare_threshold=5)
else:
    # The web server, the worker and the scheduler share the file: readers never wait for a writer (WAL), and a
    # writer waits its turn from the start of its transaction instead of failing half-way through it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: local memory by default, Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "newsroom.redis_cache.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    # Pages and fragments of a whole site: more than Django's 300 entries before it culls.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": env_int("LOCAL_CACHE_MAX_ENTRIES", 5000)},
        }
    }
# A Redis that is down or hung costs one wait of this long, then is left alone for CACHE_BREAKER_SECONDS
# (pages render uncached meanwhile; newsroom/redis_cache.py).
CACHE_TIMEOUT_MS = env_int("CACHE_TIMEOUT_MS", 250)
CACHE_BREAKER_SECONDS = env_int("CACHE_BREAKER_SECONDS", 30)
# What is cached for readers records the keys of what it shows, and a change raises the generations of the keys
# it affects (newsroom/freshness.py). Only a shared cache (Redis) carries that to every server process; with the
# local-memory cache each process trusts what it cached for this many seconds only.
CONTENT_VERSION_SHARED = bool(REDIS_URL)
CONTENT_VERSION_LOCAL_SECONDS = env_int("CONTENT_VERSION_LOCAL_SECONDS", 10)
CONTENT_CACHE_SECONDS = env_int("CONTENT_CACHE_SECONDS", 3600)
# Whole public pages for anonymous readers are kept in the cache (0 turns it off, e.g. to measure).
# Off by default in development, where an edited template must show on the next reload.
PAGE_CACHE = env_bool("PAGE_CACHE", not DEBUG)
# Parts of pages (an article's head and body, each card, the header and footer) are kept on their own and reused
# by pages made again (newsroom/fragments.py). 0 makes every part afresh for every page: to measure what a page
# made from nothing costs, as after a deploy, or to rule the parts out when something looks stale.
PARTS_CACHE = env_bool("PARTS_CACHE", True)
# When a cached page has just changed, one request makes it again; the others get the copy from before the
# change for at most this long (or until it is made), rather than every worker making the same page at once.
PAGE_CACHE_STAMPEDE_SECONDS = env_int("PAGE_CACHE_STAMPEDE_SECONDS", 5)
# Public pages tell browsers and proxies to keep them this long (and to serve them stale for as long
# again while they fetch a fresh copy).
HTTP_CACHE_SECONDS = env_int("HTTP_CACHE_SECONDS", 60)
# Caching proxies in front of the app servers (Varnish, deploy/varnish/): their base URLs, comma-separated
# (http://10.0.0.5:6081). Public pages tell them to keep a page PROXY_CACHE_SECONDS (s-maxage; shorter when a
# scheduled story is due), and every committed change is purged from each by its keys (newsroom/purging.py),
# then again PROXY_PURGE_AGAIN_SECONDS later, for a page whose render overlapped the change.
CACHE_PROXIES = [url.rstrip("/") for url in env_list("CACHE_PROXIES")]
for _proxy in CACHE_PROXIES:
    if urlsplit(_proxy).scheme not in {"http", "https"} or not urlsplit(_proxy).hostname:
        raise ImproperlyConfigured(f"CACHE_PROXIES must list base URLs such as http://10.0.0.5:6081, not {_proxy!r}.")
PROXY_CACHE_SECONDS = env_int("PROXY_CACHE_SECONDS", 86400)
PROXY_PURGE_AGAIN_SECONDS = env_int("PROXY_PURGE_AGAIN_SECONDS", 3)


def email_settings_from_url(url: str) -> dict:
    """EMAIL_URL: smtp://user:pass@host:587?tls=1, smtps://… (implicit TLS), console:, locmem:, dummy:, or an
    email service provider (mailgun:, postmark:, amazon_ses:, …). Every key Django reads is in the result, so
    each setting below is assigned by name."""
    # A scheme with "_" (amazon_ses) is no URL scheme to urlsplit, so the scheme is read by hand.
    scheme = url.partition(":")[0].strip().lower() if ":" in url else ""
    parts = urlsplit(url)
    backends = {
        "smtp": "django.core.mail.backends.smtp.EmailBackend",
        "smtps": "django.core.mail.backends.smtp.EmailBackend",
        "console": "django.core.mail.backends.console.EmailBackend",
        "locmem": "django.core.mail.backends.locmem.EmailBackend",
        "dummy": "django.core.mail.backends.dummy.EmailBackend",
        # An email service provider's API (django-anymail), its credentials and options from ANYMAIL_*.
        # Resend's is our own subclass: it adds the idempotency key, and each recipient's own links to one
        # batch request (newsletter/providers.py).
        "amazon_ses": "anymail.backends.amazon_ses.EmailBackend",
        "brevo": "anymail.backends.brevo.EmailBackend",
        "mailgun": "anymail.backends.mailgun.EmailBackend",
        "mailjet": "anymail.backends.mailjet.EmailBackend",
        "postmark": "anymail.backends.postmark.EmailBackend",
        "resend": "newsletter.providers.ResendBackend",
        "sendgrid": "anymail.backends.sendgrid.EmailBackend",
        "sparkpost": "anymail.backends.sparkpost.EmailBackend",
    }
    scheme = scheme.replace("-", "_")  # amazon-ses: as well
    if scheme not in backends:
        raise ImproperlyConfigured(f"EMAIL_URL scheme must be one of {', '.join(backends)}, not {scheme!r}.")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    config = {
        "EMAIL_BACKEND": backends[scheme],
        "EMAIL_HOST": "localhost",
        "EMAIL_PORT": 25,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_SSL": False,
        "EMAIL_USE_TLS": False,
    }
    if scheme in {"smtp", "smtps"}:
        config |= {
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_USE_TLS": options.get("tls", "").lower() in {"1", "true", "yes"},
        }
    return config


def anymail_settings(environ) -> dict:
    """Every ANYMAIL_<NAME> variable as ANYMAIL["<NAME>"] (ANYMAIL_MAILGUN_API_KEY -> MAILGUN_API_KEY). `true` and
    `false` become booleans and *_TIMEOUT a number, as anymail expects; everything else stays text."""
    config = {}
    for name, value in environ.items():
        if not name.startswith("ANYMAIL_") or name == "ANYMAIL_":
            continue
        key = name.removeprefix("ANYMAIL_")
        if value.strip().lower() in {"true", "false"}:
            config[key] = value.strip().lower() == "true"
        elif key.endswith("_TIMEOUT"):
            try:
                config[key] = float(value)
            except ValueError as exc:
                raise ImproperlyConfigured(f"{name} must be a number of seconds, not {value!r}.") from exc
        else:
            config[key] = value
    return config


_email = email_settings_from_url(os.environ.get("EMAIL_URL", "console:"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"]
EMAIL_PORT = _email["EMAIL_PORT"]
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"]
EMAIL_USE_SSL = _email["EMAIL_USE_SSL"]
EMAIL_USE_TLS = _email["EMAIL_USE_TLS"]
# The provider's credentials and options (API keys, API URLs, webhook secrets), when EMAIL_URL names one.
ANYMAIL = anymail_settings(os.environ)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Newsroom <newsroom@localhost>")
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Who is mailed the report of every server error (with DEBUG off).
ADMINS = env_addresses("ADMINS")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Staff sign-in (newsroom/accounts.py). A second factor (an authenticator app, backup codes) for anyone who turns
# it on, and a must for superusers and the Editor and Audience groups when STAFF_2FA_REQUIRED (on unless DEBUG).
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", not DEBUG)
# Failed passwords: LOGIN_FAILURE_LIMIT for one account from one address (django-axes, in the database: every app
# server counts them) or LOGIN_FAILURES_PER_IP from one address, whatever the accounts, pause signing in for
# LOGIN_LOCKOUT_MINUTES. Never per account alone: strangers elsewhere must not keep anyone out. An IPv6 address
# counts as its /64 (newsroom/ratelimit.py), which one machine holds whole.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 30)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "newsroom.accounts.locked_out"
AXES_CLIENT_IP_CALLABLE = "newsroom.ratelimit.client_network"
AXES_VERBOSE = False
PASSWORD_RESETS_PER_HOUR = env_int("PASSWORD_RESETS_PER_HOUR", 10)
# A session ends this long after its last request; the back office keeps it alive while someone types.
STAFF_IDLE_MINUTES = env_int("STAFF_IDLE_MINUTES", 60)
SESSION_COOKIE_AGE = STAFF_IDLE_MINUTES * 60

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en-gb")
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# Static files: our own CSS/JS, served by WhiteNoise (hashed and compressed in production).
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]

# The body editor's story blocks (pictures and galleries from the library, fact boxes, tables with a caption): the
# editor's module, and what the sanitiser lets through for each (articles/sanitize.py names them for stories).
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [static_lazy("articles/editor/blocks.js")],
        "extensions": {
            "LibraryPicture": editor_blocks.allow_picture,
            "LibraryGallery": editor_blocks.allow_gallery,
            "FactBox": editor_blocks.allow_fact_box,
            "StoryTable": editor_blocks.allow_table,
            "EmbedLinks": editor_blocks.allow_nothing,  # marks links in the editor; adds no markup
        },
    }
]

# Media: uploads and image renditions. On the filesystem by default.
MEDIA_URL = os.environ.get("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Serving uploads from Django is for development; production serves MEDIA_ROOT from the web
# server or object storage.
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}


# Media on S3-compatible object storage (django-storages) when S3_BUCKET is set, so no app server keeps files of
# its own. MEDIA_URL is then the public base address of the bucket or of the CDN in front of it; objects are
# written once under names never reused, so they are cached for a year.
def s3_media_settings(environ) -> tuple[dict, str]:
    """The default storage and MEDIA_URL from S3_BUCKET, S3_ENDPOINT_URL, S3_REGION, S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY, S3_DEFAULT_ACL, S3_TIMEOUT_SECONDS and MEDIA_URL."""
    from botocore.config import Config

    bucket = environ["S3_BUCKET"]
    endpoint = environ.get("S3_ENDPOINT_URL", "").rstrip("/")
    region = environ.get("S3_REGION", "") or "us-east-1"
    media_url = environ.get("MEDIA_URL") or (
        f"{endpoint}/{bucket}/" if endpoint else f"https://{bucket}.s3.{region}.amazonaws.com/"
    )
    if "://" not in media_url:
        raise ImproperlyConfigured(f"MEDIA_URL must be the full public address of the bucket, not {media_url!r}.")
    media_url = media_url.rstrip("/") + "/"
    public = urlsplit(media_url)
    try:
        timeout = int(environ.get("S3_TIMEOUT_SECONDS") or 5)
    except ValueError as exc:
        raise ImproperlyConfigured("S3_TIMEOUT_SECONDS must be a whole number.") from exc
    storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint or None,
            "region_name": region,
            # Unset: boto3's own chain (instance role, AWS_* variables, ~/.aws).
            "access_key": environ.get("S3_ACCESS_KEY_ID") or None,
            "secret_key": environ.get("S3_SECRET_ACCESS_KEY") or None,
            # Addresses are made from MEDIA_URL, never signed: making one costs no request.
            "custom_domain": f"{public.netloc}{public.path.rstrip('/')}",
            "url_protocol": f"{public.scheme}:",
            "querystring_auth": False,
            "file_overwrite": False,  # two uploads called photo.jpg are two files
            "default_acl": environ.get("S3_DEFAULT_ACL") or None,  # e.g. public-read, where ACLs are allowed
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
            "client_config": Config(
                connect_timeout=timeout,
                read_timeout=timeout * 6,
                retries={"max_attempts": 3, "mode": "standard"},
                s3={"addressing_style": "path" if endpoint else "auto"},
            ),
        },
    }
    return storage, media_url


S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    STORAGES["default"], MEDIA_URL = s3_media_settings(os.environ)
    SERVE_MEDIA = False

# Image uploads: checked with Pillow before anything is saved.
IMAGE_MAX_UPLOAD_MB = env_int("IMAGE_MAX_UPLOAD_MB", 20)
IMAGE_MAX_MEGAPIXELS = env_int("IMAGE_MAX_MEGAPIXELS", 50)
FILE_UPLOAD_PERMISSIONS = 0o644

# Embeds (embeds/): links from the providers in embeds/providers.py resolved through their oEmbed endpoints on a
# worker, within this many seconds and bytes, never from a private address. EMBED_FETCH_ALLOW names `host:port`
# pairs let through all the same (a provider stub on loopback); EMBED_DISCOVERY lets links from other sites embed
# where their page names an oEmbed endpoint; EMBED_META_TOKEN is the access token Facebook and Instagram ask for.
EMBED_FETCH_TIMEOUT = env_int("EMBED_FETCH_TIMEOUT", 5)
# An embed still being fetched this long after it was saved (its task lost with a worker or the broker) is queued
# again, by the scheduler, which looks this often.
EMBED_RETRY_SECONDS = env_int("EMBED_RETRY_SECONDS", 300)
# A failed fetch is tried again after EMBED_RETRY_SECONDS, then twice that, and so on, this many fetches in all.
EMBED_FETCH_ATTEMPTS = env_int("EMBED_FETCH_ATTEMPTS", 5)
EMBED_FETCH_MAX_BYTES = env_int("EMBED_FETCH_MAX_BYTES", 512 * 1024)
EMBED_FETCH_ALLOW = env_list("EMBED_FETCH_ALLOW")
EMBED_DISCOVERY = env_bool("EMBED_DISCOVERY")
EMBED_META_TOKEN = os.environ.get("EMBED_META_TOKEN", "")
# How often a reader's open live blog asks for new updates (live/, static/live/live.js).
LIVE_REFRESH_SECONDS = env_int("LIVE_REFRESH_SECONDS", 10)

SITE_NAME = os.environ.get("SITE_NAME", "The Kingsmere Courier")
OTP_TOTP_ISSUER = SITE_NAME  # the name authenticator apps show beside the code
# A second factor's secret is its owner's alone (they see it once, setting it up): the admin's device pages neither
# show keys and backup codes nor offer django-otp's QR code pages (which answered 500 for an id naming no device).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Absolute links in emails (confirmation, unsubscribe) start with this.
_first_host = next((h.lstrip(".") for h in ALLOWED_HOSTS if h not in {"*", "localhost", "127.0.0.1", "[::1]"}), "")
SITE_URL = os.environ.get("SITE_URL") or (
    "http://127.0.0.1:8000" if DEBUG or not _first_host else f"https://{_first_host}"
)
# Behind N trusted reverse proxies, the client's address is the N-th from the right in X-Forwarded-For.
NUM_PROXIES = env_int("NUM_PROXIES", 0)

# Preview links for unpublished articles stay valid this long.
PREVIEW_LINK_HOURS = env_int("PREVIEW_LINK_HOURS", 72)

# Newsletter sign-ups.
NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR = env_int("NEWSLETTER_SIGNUPS_PER_IP_PER_HOUR", 10)
# Confirmation emails the whole site sends in an hour, whatever the addresses asking (newsletter/services.py).
NEWSLETTER_CONFIRMATIONS_PER_HOUR = env_int("NEWSLETTER_CONFIRMATIONS_PER_HOUR", 500)
NEWSLETTER_IMPORT_MAX_MB = env_int("NEWSLETTER_IMPORT_MAX_MB", 50)
# A confirmation email the mail server did not take is tried again after this many seconds, doubling each time.
NEWSLETTER_CONFIRMATION_RETRY_SECONDS = env_int("NEWSLETTER_CONFIRMATION_RETRY_SECONDS", 15)
# Sending editions (newsletter/sending.py). The rate holds across every worker (0: as fast as the server takes).
NEWSLETTER_SEND_RATE = env_int("NEWSLETTER_SEND_RATE", 0)
NEWSLETTER_BATCH_SIZE = env_int("NEWSLETTER_BATCH_SIZE", 100)
# Parallel sending tasks per edition; a batch held longer than the lease is taken over by another worker.
NEWSLETTER_SENDERS = env_int("NEWSLETTER_SENDERS", 2)
NEWSLETTER_LEASE_SECONDS = env_int("NEWSLETTER_LEASE_SECONDS", 300)
# An edition pauses itself once this share of its messages (in %, after 50 of them) was refused for good.
NEWSLETTER_FAILURE_THRESHOLD = env_float("NEWSLETTER_FAILURE_THRESHOLD") or 5.0
# How often the scheduler composes due editions, starts scheduled ones and takes over abandoned work.
NEWSLETTER_TICK_SECONDS = env_int("NEWSLETTER_TICK_SECONDS", 30)
NEWSLETTER_LIST_DOMAIN = os.environ.get("NEWSLETTER_LIST_DOMAIN") or (urlsplit(SITE_URL).hostname or "localhost")
# The key of the suppression list's address hashes. Set it apart from SECRET_KEY, so rotating that key
# does not forget who asked never to be mailed again.
NEWSLETTER_SUPPRESSION_KEY = os.environ.get("NEWSLETTER_SUPPRESSION_KEY") or SECRET_KEY
# Soft bounces (the provider's "deferred") on this many different messages within this many days suppress.
NEWSLETTER_SOFT_BOUNCE_LIMIT = env_int("NEWSLETTER_SOFT_BOUNCE_LIMIT", 3)
NEWSLETTER_SOFT_BOUNCE_DAYS = env_int("NEWSLETTER_SOFT_BOUNCE_DAYS", 30)
# Complaints as a percentage of an edition's recipients: past the pause level the edition pauses itself.
NEWSLETTER_COMPLAINT_WARNING = env_float("NEWSLETTER_COMPLAINT_WARNING") or 0.1
NEWSLETTER_COMPLAINT_PAUSE = env_float("NEWSLETTER_COMPLAINT_PAUSE") or 0.3

# Celery (newsroom/celery.py): Redis or RabbitMQ in production; without one, a broker in files that needs
# no service (development). Tasks are acknowledged after they finish, so a killed worker's task runs again.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or "filesystem://"
CELERY_BROKER_DIR = Path(os.environ.get("CELERY_BROKER_DIR", BASE_DIR / "var" / "broker"))
# Queueing work waits this long for the broker, connecting and publishing together (newsroom/queueing.py); a broker
# that is down or hung costs one such wait, then is left alone for BROKER_BREAKER_SECONDS (the sweeps queue the
# work later). A connection that stops answering is given up after BROKER_SOCKET_TIMEOUT by any process, workers
# included (Redis: socket_*timeout; RabbitMQ: connect_timeout covers the handshake, read/write_timeout the rest).
BROKER_TIMEOUT_MS = env_int("BROKER_TIMEOUT_MS", 1000)
BROKER_BREAKER_SECONDS = env_int("BROKER_BREAKER_SECONDS", 30)
BROKER_SOCKET_TIMEOUT = max(5.0, BROKER_TIMEOUT_MS / 1000)
CELERY_BROKER_CONNECTION_TIMEOUT = BROKER_TIMEOUT_MS / 1000
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": BROKER_TIMEOUT_MS / 1000,
    "socket_timeout": BROKER_SOCKET_TIMEOUT,
    "read_timeout": BROKER_SOCKET_TIMEOUT,
    "write_timeout": BROKER_SOCKET_TIMEOUT,
    # Redis hands an unacknowledged task to another worker after this long.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600),
}
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "data_folder_in": str(CELERY_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "newsroom")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_WORKER_REDIRECT_STDOUTS = False  # the console email backend prints each email as it is
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the workers log as LOGGING below says (LOG_FORMAT), as the site does
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "newsletter-tick": {"task": "newsletter.tasks.tick", "schedule": float(NEWSLETTER_TICK_SECONDS)},
    # Renditions whose task was lost (a broker outage at upload time) are queued again.
    "missing-renditions": {"task": "articles.tasks.queue_missing_renditions", "schedule": 300.0},
    "lost-embeds": {"task": "embeds.tasks.queue_lost_embeds", "schedule": float(EMBED_RETRY_SECONDS)},
    # Password-reset mail and account notices not sent within a minute (accounts/outbox.py).
    "account-mail": {"task": "accounts.tasks.mails_sweep", "schedule": 60.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
if CACHE_PROXIES:
    # A story scheduled for now goes out on the proxies' pages within seconds, even if no request reaches the app.
    CELERY_BEAT_SCHEDULE["release-scheduled"] = {"task": "newsroom.tasks.release_scheduled", "schedule": 5.0}

# Security. Secure by default; DEBUG (local development) relaxes what needs HTTPS.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (newsroom/security.py). Readers' pages: our own files only, no inline script, no inline
# style but our inlined stylesheets (their hashes are added per response), pictures from the media address too.
_MEDIA_ORIGIN = [f"{_media.scheme}://{_media.netloc}"] if (_media := urlsplit(MEDIA_URL)).netloc else []
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "base-uri": [NONE],
        "connect-src": [SELF],
        "font-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "img-src": [SELF, *_MEDIA_ORIGIN],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "script-src": [SELF],
        "style-src": [SELF],
        "report-uri": "/csp-report/",
    }
}
# The back office: inline code only with the response's nonce; inline style (Django's admin sets it) allowed.
BACK_OFFICE_CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **CONTENT_SECURITY_POLICY["DIRECTIVES"],
        "img-src": [SELF, "data:", *_MEDIA_ORIGIN],
        "frame-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
    }
}
# Powerful browser features no page of ours uses, refused to the page and to any frame in it.
PERMISSIONS_POLICY = {
    feature: []
    for feature in [
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    ]
}
SESSION_COOKIE_HTTPONLY = True
# Sessions in the database only: any server process answers any request, and signing out, a password change or an
# idle timeout ends a session for good. A copy in the cache would have to be checked against the database on every
# read (a Redis that did not answer a delete comes back with the session in it), which costs what reading the
# session from the database costs.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Cookies only over HTTPS, unless SECURE_COOKIES=0 (plain HTTP on loopback, as `make stack` serves).
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Django's own logging stays underneath: with DEBUG off, errors on the django loggers are mailed to ADMINS.
# Requests refused for their host or for sending too much, a webhook post with the wrong password or signature,
# and an admin address naming a field or filter the admin does not offer are a client's doing (400): one line
# each, a warning, never mailed nor sent to Sentry.
# LOG_FORMAT=json: one JSON object a line (newsroom/logs.py), each with the id of the request (or of the request
# that queued the task) it was logged for (newsroom/request_id.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or "text"
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_error": {"()": "newsroom.logs.ClientErrorFilter"},
        "request_id": {"()": "newsroom.request_id.RequestIdFilter"},
    },
    "formatters": {"json": {"()": "newsroom.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            **({"formatter": "json"} if LOG_FORMAT == "json" else {}),
        }
    },
    "loggers": {
        f"django.security.{name}": {"handlers": ["console"], "filters": ["client_error"], "propagate": False}
        for name in (
            "DisallowedHost",
            "RequestDataTooBig",
            "TooManyFieldsSent",
            "TooManyFilesSent",
            "SuspiciousMultipartForm",
            "AnymailWebhookValidationFailure",
            "DisallowedModelAdminToField",
            "DisallowedModelAdminLookup",
        )
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Errors are also reported to Sentry when SENTRY_DSN is set.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from newsroom.logs import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT") or None,
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE"),
    )
