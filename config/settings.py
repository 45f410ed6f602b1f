"""passdesk settings: one module, every deployment-specific value read from the environment.

The embedded default (no environment at all) is a single-machine demo: SQLite under ``var/``,
Celery in eager mode, console e-mail. Production sets ``DEBUG=False``, ``SECRET_KEY``,
``ALLOWED_HOSTS``, ``DATABASE_URL`` and ``CELERY_BROKER_URL``.
"""

import datetime
import importlib.util
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from config import storage

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")
VAR_DIR = Path(env.str("PASSDESK_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-passdesk-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and SECRET_KEY in ("", _DEV_SECRET_KEY):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be set to a real secret when DEBUG is off.")

# The reverse proxies in front of passdesk (addresses or networks, e.g. 172.16.0.0/12 for the
# compose network). X-Forwarded-For is believed only from these; empty: never.
PASSDESK_TRUSTED_PROXIES = env.list("PASSDESK_TRUSTED_PROXIES", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "passes",
]
# The benchmarks (bench/: `manage.py benchmark`, `load_scale_data`) live in a development
# checkout beside config/, never in the wheel or the image: their commands exist where they
# are, and only this checkout's bench counts (not some other package of that name).
_bench = importlib.util.find_spec("bench")
if _bench is not None and Path(_bench.origin).resolve() == BASE_DIR / "bench" / "__init__.py":
    INSTALLED_APPS.append("bench")

MIDDLEWARE = [
    # First: settles the client's address (PASSDESK_TRUSTED_PROXIES) for every limit below.
    "passes.web.client.ClientAddressMiddleware",
    # Then: a body over PASSDESK_MAX_REQUEST_BYTES is refused from Content-Length, unread.
    "passes.web.limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # A Content-Security-Policy on every page (views that stream stored files set their own,
    # stricter sandbox policy, which this leaves alone).
    "passes.web.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Inside LocaleMiddleware, so its JSON error messages are translated.
    "passes.api.middleware.ApiJsonErrorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A view that loses the database, object store or cache answers 503 (translated), not 500.
    "passes.web.unavailable.ServiceUnavailableMiddleware",
    # Last, as django-axes asks: turns a flagged lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "passes.portal.context.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'passdesk.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default keeps its database under var/; make sure the folder exists.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Safe under concurrent writers: every transaction takes the write lock when it begins
    # (no deadlock when two readers both try to write), others wait up to the busy timeout
    # instead of failing with "database is locked"; WAL lets readers carry on meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=30),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        }
    )
if DATABASES["default"]["ENGINE"].endswith("postgresql") and env.bool(
    "DATABASE_PREPARED_STATEMENTS", default=True
):
    # Parameters bound by the server, and a statement prepared on its second use on a
    # connection: PostgreSQL then skips parsing and planning the hot path's queries (a third
    # of its CPU in `benchmark fortnight`). Turn off behind a pooler in transaction mode
    # (PgBouncer before 1.21), which cannot keep prepared statements.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 2}
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# With persistent connections, check a reused one before each request: after a database
# restart the stale connection is replaced instead of failing the request.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", env.bool("CONN_HEALTH_CHECKS", default=True))
if env.str("TEST_DATABASE_NAME", default=""):
    # Lets several test runs share one PostgreSQL server without clobbering each other.
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed logins (portal form and API token alike: both call
# ``authenticate(request=...)``) and locks a username+address out after AXES_FAILURE_LIMIT.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "passes.web.login_limits.AddressLimitBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "passes.web.client.axes_client_ip"
# Password spraying (one address, many usernames): failed sign-ins per client address within
# the window lock that address out of every login (portal, admin, API token).
PASSDESK_LOGIN_FAILURES_PER_ADDRESS = env.int("PASSDESK_LOGIN_FAILURES_PER_ADDRESS", default=30)
PASSDESK_LOGIN_FAILURE_WINDOW = env.int("PASSDESK_LOGIN_FAILURE_WINDOW", default=900)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "passes.api.errors.lockout_response"
AXES_LOCKOUT_TEMPLATE = "passes/portal/locked_out.html"
# Portal limits django-axes does not cover, as (attempts, seconds): sign-ups per address,
# uploads per user.
PASSDESK_PORTAL_RATE_LIMITS = {
    "signup": (env.int("PORTAL_SIGNUP_LIMIT", default=20), 3600),
    "upload": (env.int("PORTAL_UPLOAD_LIMIT", default=600), 600),
}
# Messages on a request, per person (portal, API and admin alike): (count, seconds).
PASSDESK_MESSAGE_RATE_LIMIT = (20, 600)
# Enterprises per batch task when an announcement is sent (passes.messaging.announcements).
PASSDESK_ANNOUNCEMENT_BATCH_SIZE = env.int("PASSDESK_ANNOUNCEMENT_BATCH_SIZE", default=100)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "passes" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Cache (API throttling, axes-independent counters) ------------------------------------------
# Local memory by default; set CACHE_URL=redis://127.0.0.1:6379/1 when several processes serve.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://passdesk")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "config.cache.RedisCache"  # one client per pool, see there

# --- Static and private media ---------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
# Uploaded scans and rendered passes are private: no MEDIA_URL is routed anywhere; files are
# served only through permission-checked views.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# STORAGE_URL (s3://key:secret@host:port/bucket[/prefix]?region=..) or AWS_STORAGE_BUCKET_NAME
# puts every stored file in a private S3-compatible bucket shared by all nodes; see
# config/storage.py. Without either, files stay under MEDIA_ROOT on this machine.
STORAGE_URL = env.str("STORAGE_URL", default="")
if STORAGE_URL:
    _default_storage = storage.storage_from_url(STORAGE_URL)
elif env.str("AWS_STORAGE_BUCKET_NAME", default=""):
    _default_storage = storage.s3_options(
        bucket=env.str("AWS_STORAGE_BUCKET_NAME"),
        endpoint_url=env.str("AWS_S3_ENDPOINT_URL", default=""),
        access_key=env.str("AWS_ACCESS_KEY_ID", default=""),
        secret_key=env.str("AWS_SECRET_ACCESS_KEY", default=""),
        region=env.str("AWS_S3_REGION_NAME", default=""),
        location=env.str("AWS_LOCATION", default=""),
    )
else:
    _default_storage = storage.file_system_storage(MEDIA_ROOT)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
# Keep uploads off the heap: anything above 256 KiB is streamed to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)
FILE_UPLOAD_TEMP_DIR = env.str("FILE_UPLOAD_TEMP_DIR", default=None)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
FILE_UPLOAD_PERMISSIONS = 0o640

# Scanned materials.
PASSDESK_UPLOAD_MAX_BYTES = env.int("PASSDESK_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
PASSDESK_UPLOAD_MAX_PIXELS = env.int("PASSDESK_UPLOAD_MAX_PIXELS", default=60_000_000)
PASSDESK_UPLOAD_MAX_PDF_PAGES = env.int("PASSDESK_UPLOAD_MAX_PDF_PAGES", default=50)
# Bounded rendering of uploads (docs/security.md, "Bounded rendering of uploads"). Checked at
# upload, before anything is drawn: pixels summed over an image's frames (or a PDF's distinct
# images), form XObjects nested in forms, drawing operations with every form expanded, and the
# decoded bytes of a PDF's content streams.
PASSDESK_UPLOAD_MAX_TOTAL_PIXELS = env.int("PASSDESK_UPLOAD_MAX_TOTAL_PIXELS", default=200_000_000)
PASSDESK_PDF_MAX_FORM_DEPTH = env.int("PASSDESK_PDF_MAX_FORM_DEPTH", default=6)
PASSDESK_PDF_MAX_OPERATIONS = env.int("PASSDESK_PDF_MAX_OPERATIONS", default=300_000)
PASSDESK_PDF_MAX_CONTENT_BYTES = env.int("PASSDESK_PDF_MAX_CONTENT_BYTES", default=32 * 1024 * 1024)
# The upload check itself runs in a child process the kernel bounds (memory it may add, CPU
# seconds, wall seconds), as do the previews (thumbnail and every page, one child a document)
# and the OCR worker's page rasterising; the wall time stays under the Celery soft time limits.
PASSDESK_UPLOAD_CHECK_MEMORY_BYTES = env.int(
    "PASSDESK_UPLOAD_CHECK_MEMORY_BYTES", default=384 * 1024 * 1024
)
PASSDESK_UPLOAD_CHECK_CPU_SECONDS = env.int("PASSDESK_UPLOAD_CHECK_CPU_SECONDS", default=10)
PASSDESK_UPLOAD_CHECK_WALL_SECONDS = env.int("PASSDESK_UPLOAD_CHECK_WALL_SECONDS", default=20)
PASSDESK_RENDER_MEMORY_BYTES = env.int("PASSDESK_RENDER_MEMORY_BYTES", default=512 * 1024 * 1024)
PASSDESK_RENDER_CPU_SECONDS = env.int("PASSDESK_RENDER_CPU_SECONDS", default=20)
PASSDESK_RENDER_WALL_SECONDS = env.int("PASSDESK_RENDER_WALL_SECONDS", default=40)
# Previews are drawn by workers only, at this width; a preview job is tried at most this many
# times (a worker that died, the file store away), the waits between tries doubling from the
# second value; then the document shows "cannot be shown" with the reason.
PASSDESK_PREVIEW_WIDTH = env.int("PASSDESK_PREVIEW_WIDTH", default=1400)
PASSDESK_PREVIEW_MAX_ATTEMPTS = env.int("PASSDESK_PREVIEW_MAX_ATTEMPTS", default=3)
PASSDESK_PREVIEW_RETRY_SECONDS = env.int("PASSDESK_PREVIEW_RETRY_SECONDS", default=300)
# Fleet imports (CSV/XLSX; docs/security.md, "Bounded parsing of uploads"). The file is read in
# a child process the kernel bounds (memory it may add, CPU seconds; killed after the wall
# time, which stays under CELERY_TASK_SOFT_TIME_LIMIT), after structural checks made while
# reading. A job is run at most PASSDESK_IMPORT_MAX_ATTEMPTS times; the sweeper re-queues a
# waiting one after PASSDESK_IMPORT_RETRY_SECONDS, doubling after each attempt.
PASSDESK_IMPORT_MAX_BYTES = env.int("PASSDESK_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
PASSDESK_IMPORT_MAX_ROWS = env.int("PASSDESK_IMPORT_MAX_ROWS", default=5000)
PASSDESK_IMPORT_MAX_LINES = env.int("PASSDESK_IMPORT_MAX_LINES", default=20000)
PASSDESK_IMPORT_MAX_COLUMNS = env.int("PASSDESK_IMPORT_MAX_COLUMNS", default=64)
PASSDESK_IMPORT_MAX_CELL_CHARS = env.int("PASSDESK_IMPORT_MAX_CELL_CHARS", default=256)
PASSDESK_IMPORT_MAX_LINE_CHARS = env.int("PASSDESK_IMPORT_MAX_LINE_CHARS", default=8192)
PASSDESK_IMPORT_MAX_UNPACKED_BYTES = env.int(
    "PASSDESK_IMPORT_MAX_UNPACKED_BYTES", default=16 * 1024 * 1024
)
PASSDESK_IMPORT_MAX_ZIP_MEMBERS = env.int("PASSDESK_IMPORT_MAX_ZIP_MEMBERS", default=200)
PASSDESK_IMPORT_MEMORY_BYTES = env.int("PASSDESK_IMPORT_MEMORY_BYTES", default=512 * 1024 * 1024)
PASSDESK_IMPORT_CPU_SECONDS = env.int("PASSDESK_IMPORT_CPU_SECONDS", default=30)
PASSDESK_IMPORT_WALL_SECONDS = env.int("PASSDESK_IMPORT_WALL_SECONDS", default=60)
PASSDESK_IMPORT_MAX_ATTEMPTS = env.int("PASSDESK_IMPORT_MAX_ATTEMPTS", default=3)
PASSDESK_IMPORT_RETRY_SECONDS = env.int("PASSDESK_IMPORT_RETRY_SECONDS", default=120)
# Any request body larger than this is refused before it is read (the largest upload plus
# room for the form around it). Set the proxy's own limit to the same value.
PASSDESK_MAX_REQUEST_BYTES = env.int(
    "PASSDESK_MAX_REQUEST_BYTES", default=PASSDESK_UPLOAD_MAX_BYTES + 1024 * 1024
)

# Issuing office and pass numbering.
PASSDESK_REGION_CODE = env.str("PASSDESK_REGION_CODE", default="430200")
if not (len(PASSDESK_REGION_CODE) == 6 and PASSDESK_REGION_CODE.isdigit()):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("PASSDESK_REGION_CODE must be a 6-digit district code, e.g. 430200.")
PASSDESK_OFFICE_TITLE = env.str("PASSDESK_OFFICE_TITLE", default="株洲市交通运输局行政审批科")
# The office's seal as a PNG or JPEG file (transparent background); empty: a seal is drawn from
# the office title, which is fine for the demo but not an official seal.
PASSDESK_SEAL_IMAGE = env.str("PASSDESK_SEAL_IMAGE", default="")
PASSDESK_PUBLIC_BASE_URL = env.str("PASSDESK_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Review queue: a request waiting longer than this is highlighted.
PASSDESK_REVIEW_TARGET_HOURS = env.float("PASSDESK_REVIEW_TARGET_HOURS", default=4)

# Pass signing keys (Ed25519). Private keys live as PEM files (0600) in the key directory, or one
# key in PASSDESK_SIGNING_PRIVATE_KEY (PEM or base64 of the 32-byte seed); never in the database.
PASSDESK_SIGNING_KEY_DIR = env.path(
    "PASSDESK_SIGNING_KEY_DIR", default=str(VAR_DIR / "signing-keys")
)
PASSDESK_SIGNING_KEY_PASSPHRASE = env.str("PASSDESK_SIGNING_KEY_PASSPHRASE", default="")
PASSDESK_SIGNING_PRIVATE_KEY = env.str("PASSDESK_SIGNING_PRIVATE_KEY", default="", multiline=True)
# Create a development key on first use when none exists (the demo); never in production.
PASSDESK_SIGNING_AUTO_CREATE = env.bool("PASSDESK_SIGNING_AUTO_CREATE", default=DEBUG)
# Trust between deployments (docs/verification.md): the long-lived key that signs this
# deployment's trust list (else trust-list.pem in the key directory), how long a published list
# is good for, how often peers' lists and revocation feeds are pulled, and whether peers may be
# on private or loopback addresses (tests, development) or plain http.
PASSDESK_TRUST_PRIVATE_KEY = env.str("PASSDESK_TRUST_PRIVATE_KEY", default="", multiline=True)
PASSDESK_TRUST_LIST_VALIDITY_HOURS = env.int("PASSDESK_TRUST_LIST_VALIDITY_HOURS", default=168)
PASSDESK_TRUST_PULL_SECONDS = env.int("PASSDESK_TRUST_PULL_SECONDS", default=300)
PASSDESK_TRUST_ALLOW_PRIVATE = env.bool("PASSDESK_TRUST_ALLOW_PRIVATE", default=False)
PASSDESK_TRUST_REQUIRE_HTTPS = env.bool("PASSDESK_TRUST_REQUIRE_HTTPS", default=True)
PASSDESK_TRUST_TIMEOUT = env.float("PASSDESK_TRUST_TIMEOUT", default=10)

# Checkpoint scans: one uploaded this long after it was scanned (an offline queue) is "late".
PASSDESK_SCAN_LATE_AFTER_SECONDS = env.int("PASSDESK_SCAN_LATE_AFTER_SECONDS", default=300)
# Public verification page and revocation feed: requests per minute per client address.
PASSDESK_VERIFY_RATE_PER_MINUTE = env.int("PASSDESK_VERIFY_RATE_PER_MINUTE", default=30)
PASSDESK_FEED_RATE_PER_MINUTE = env.int("PASSDESK_FEED_RATE_PER_MINUTE", default=120)
# Drivers' e-pass links (docs/epass.md): new links sent per driver and pass, and per enterprise,
# an hour (each an SMS); the e-pass pages' requests a minute per client address, and of those,
# tokens that open nothing (so links cannot be guessed).
PASSDESK_EPASS_SENDS_PER_HOUR = env.int("PASSDESK_EPASS_SENDS_PER_HOUR", default=3)
PASSDESK_EPASS_ENTERPRISE_SENDS_PER_HOUR = env.int(
    "PASSDESK_EPASS_ENTERPRISE_SENDS_PER_HOUR", default=200
)
PASSDESK_EPASS_RATE_PER_MINUTE = env.int("PASSDESK_EPASS_RATE_PER_MINUTE", default=60)
PASSDESK_EPASS_MISSES_PER_MINUTE = env.int("PASSDESK_EPASS_MISSES_PER_MINUTE", default=10)
# The office's limit on the age of the lists an inspector's phone copies (keys, revocations,
# active passes): past it, every offline verdict is amber and says the copy is too old.
PASSDESK_OFFLINE_MAX_AGE_HOURS = env.int("PASSDESK_OFFLINE_MAX_AGE_HOURS", default=24)
# PBKDF2-HMAC-SHA256 iterations of each entry of the inspectors' offline list: one look-up costs
# a phone this many, and a guess at a pass's number and plate costs anyone holding a copy as
# many (docs/security.md, "The inspector's offline list"). Changing it re-hashes every pass once.
PASSDESK_OFFLINE_LIST_ITERATIONS = env.int("PASSDESK_OFFLINE_LIST_ITERATIONS", default=600_000)

# Machine reading (OCR) of scanned materials, on the Celery queue "ocr" (its own worker).
# On by default only with a real broker: in eager mode a reading would run inside the upload's
# web request.
PASSDESK_OCR_ENABLED = env.bool(
    "PASSDESK_OCR_ENABLED",
    default=not env.bool("CELERY_TASK_ALWAYS_EAGER", default=not env.str("CELERY_BROKER_URL", "")),
)
PASSDESK_OCR_MAX_SIDE = env.int("PASSDESK_OCR_MAX_SIDE", default=2000)
PASSDESK_OCR_MAX_PAGES = env.int("PASSDESK_OCR_MAX_PAGES", default=3)
PASSDESK_OCR_THREADS = env.int("PASSDESK_OCR_THREADS", default=1)
# A reading that has not finished this long after the upload (worker down, queue jammed) is
# shown as "not machine-read"; a task running longer than the time limit gives up.
PASSDESK_OCR_STALE_AFTER_SECONDS = env.int("PASSDESK_OCR_STALE_AFTER_SECONDS", default=300)
PASSDESK_OCR_TIME_LIMIT_SECONDS = env.int("PASSDESK_OCR_TIME_LIMIT_SECONDS", default=60)
# A reading whose file the store could not give, or whose task never reached a worker, stays
# pending and is sent again by the sweeper: first after this many seconds, then after waits
# that double (at most ten minutes), until this long after it was asked for (then "not
# machine-read", saying why). Never "unreadable": an outage is no verdict on the scan.
PASSDESK_OCR_RETRY_SECONDS = env.int("PASSDESK_OCR_RETRY_SECONDS", default=60)
PASSDESK_OCR_GIVE_UP_SECONDS = env.int("PASSDESK_OCR_GIVE_UP_SECONDS", default=6 * 3600)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="passdesk <noreply@passdesk.invalid>")

# --- Notifications (outbox, SMS, webhooks) --------------------------------------------------
# A failed delivery is retried with exponential backoff and jitter (base, doubling, capped) up
# to the last attempt; then the row is "dead" and shows in the admin with a retry action.
PASSDESK_NOTIFY_MAX_ATTEMPTS = env.int("PASSDESK_NOTIFY_MAX_ATTEMPTS", default=8)
PASSDESK_NOTIFY_RETRY_BASE = env.float("PASSDESK_NOTIFY_RETRY_BASE", default=30)
PASSDESK_NOTIFY_RETRY_CAP = env.float("PASSDESK_NOTIFY_RETRY_CAP", default=3600)
# The sweeper re-dispatches due rows not picked up this many seconds after dispatch, and
# retries rows stuck in "sending" (a worker died) after the second value, which must stay
# above CELERY_TASK_TIME_LIMIT: by then a live send has been killed by its time limit.
PASSDESK_NOTIFY_SWEEP_AFTER = env.int("PASSDESK_NOTIFY_SWEEP_AFTER", default=120)
PASSDESK_NOTIFY_SENDING_TIMEOUT = env.int("PASSDESK_NOTIFY_SENDING_TIMEOUT", default=300)
# logging | gateway | alibaba | tencent (or a dotted class path).
PASSDESK_SMS_BACKEND = env.str("PASSDESK_SMS_BACKEND", default="logging")
PASSDESK_SMS_GATEWAY_URL = env.str("PASSDESK_SMS_GATEWAY_URL", default="")
PASSDESK_SMS_GATEWAY_TOKEN = env.str("PASSDESK_SMS_GATEWAY_TOKEN", default="")
# JSON object sent to the gateway; "{phone}" and "{text}" in its string values are filled in.
PASSDESK_SMS_GATEWAY_TEMPLATE = env.str("PASSDESK_SMS_GATEWAY_TEMPLATE", default="")
PASSDESK_SMS_GATEWAY_TIMEOUT = env.float("PASSDESK_SMS_GATEWAY_TIMEOUT", default=10)
# Alibaba Cloud / Tencent Cloud SMS (PASSDESK_SMS_BACKEND=alibaba|tencent): the AccessKey
# ID/Secret (Tencent: SecretId/SecretKey), the registered signature (签名, without 【】), the
# Tencent SmsSdkAppId; the endpoint and protocol only to point the SDK elsewhere (a local fake:
# 127.0.0.1:8025 and http). Template codes are recorded in the admin (Message templates).
PASSDESK_SMS_ACCESS_KEY_ID = env.str("PASSDESK_SMS_ACCESS_KEY_ID", default="")
PASSDESK_SMS_ACCESS_KEY_SECRET = env.str("PASSDESK_SMS_ACCESS_KEY_SECRET", default="")
PASSDESK_SMS_SIGN_NAME = env.str("PASSDESK_SMS_SIGN_NAME", default="")
PASSDESK_SMS_SDK_APP_ID = env.str("PASSDESK_SMS_SDK_APP_ID", default="")
PASSDESK_SMS_REGION = env.str("PASSDESK_SMS_REGION", default="")
PASSDESK_SMS_ENDPOINT = env.str("PASSDESK_SMS_ENDPOINT", default="")
PASSDESK_SMS_PROTOCOL = env.str("PASSDESK_SMS_PROTOCOL", default="https")
PASSDESK_SMS_TIMEOUT = env.float("PASSDESK_SMS_TIMEOUT", default=10)
# Template variables longer than this are cut (the providers refuse long "other" variables).
PASSDESK_SMS_PARAM_MAX_LENGTH = env.int("PASSDESK_SMS_PARAM_MAX_LENGTH", default=35)
# WeChat Official Account (服务号): template messages to people who bound their WeChat. Empty
# app id: the channel is off. The bases only change to point at a local fake.
PASSDESK_WECHAT_APP_ID = env.str("PASSDESK_WECHAT_APP_ID", default="")
PASSDESK_WECHAT_APP_SECRET = env.str("PASSDESK_WECHAT_APP_SECRET", default="")
PASSDESK_WECHAT_API_BASE = env.str("PASSDESK_WECHAT_API_BASE", default="https://api.weixin.qq.com")
PASSDESK_WECHAT_OAUTH_BASE = env.str(
    "PASSDESK_WECHAT_OAUTH_BASE", default="https://open.weixin.qq.com"
)
PASSDESK_WECHAT_TIMEOUT = env.float("PASSDESK_WECHAT_TIMEOUT", default=10)
# Group robots: the hosts their webhook URLs may name, per platform (the SSRF guard allows
# exactly these); a private or plain-HTTP host (a local fake) needs the two switches below.
PASSDESK_WECOM_ROBOT_HOSTS = env.list("PASSDESK_WECOM_ROBOT_HOSTS", default=["qyapi.weixin.qq.com"])
PASSDESK_DINGTALK_ROBOT_HOSTS = env.list(
    "PASSDESK_DINGTALK_ROBOT_HOSTS", default=["oapi.dingtalk.com"]
)
PASSDESK_FEISHU_ROBOT_HOSTS = env.list(
    "PASSDESK_FEISHU_ROBOT_HOSTS", default=["open.feishu.cn", "open.larksuite.com"]
)
PASSDESK_ROBOT_ALLOW_PRIVATE = env.bool("PASSDESK_ROBOT_ALLOW_PRIVATE", default=False)
PASSDESK_ROBOT_REQUIRE_HTTPS = env.bool("PASSDESK_ROBOT_REQUIRE_HTTPS", default=True)
PASSDESK_ROBOT_TIMEOUT = env.float("PASSDESK_ROBOT_TIMEOUT", default=10)
# Webhooks may only call public HTTPS addresses unless these allow otherwise (tests, intranets).
PASSDESK_WEBHOOK_ALLOW_PRIVATE = env.bool("PASSDESK_WEBHOOK_ALLOW_PRIVATE", default=False)
PASSDESK_WEBHOOK_REQUIRE_HTTPS = env.bool("PASSDESK_WEBHOOK_REQUIRE_HTTPS", default=True)
PASSDESK_WEBHOOK_TIMEOUT = env.float("PASSDESK_WEBHOOK_TIMEOUT", default=10)
PASSDESK_WEBHOOK_CA_BUNDLE = env.str("PASSDESK_WEBHOOK_CA_BUNDLE", default="")

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
# No broker: run tasks in-process (the embedded demo). Tests may force eager mode with a broker
# configured, and start a real worker only where they need one.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = env.bool("CELERY_TASK_EAGER_PROPAGATES", default=True)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://localhost/"  # a host name keeps kombu from warning
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A second net under the bounded children: a pool process whose resident memory passed this
# (KiB) is replaced once its task ends (the OCR engine alone holds about 300 MB).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=1_048_576
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish while the broker is away fails at once (one quick retry, for a dropped idle
# connection) instead of retrying for seconds inside a web request: every task the web queues
# is also picked up by a sweeper once the broker is back (docs/operations.md). Workers'
# consumers reconnect by CELERY_BROKER_CONNECTION_MAX_RETRIES as before.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = TIME_ZONE
# OCR is slow and memory-hungry: it runs on its own queue, served by the worker-ocr service.
CELERY_TASK_ROUTES = {"passes.read_document": {"queue": "ocr"}}
CELERY_BEAT_SCHEDULE = {
    "expire-passes": {
        "task": "passes.expire_passes",
        "schedule": crontab(minute="*/5"),
    },
    "sweep-notifications": {
        "task": "passes.sweep_notifications",
        "schedule": 60.0,
    },
    "sweep-imports": {
        "task": "passes.sweep_imports",
        "schedule": 120.0,
    },
    "sweep-thumbnails": {
        "task": "passes.sweep_thumbnails",
        "schedule": 300.0,
    },
    "sweep-readings": {
        "task": "passes.sweep_readings",
        "schedule": 60.0,
    },
    "notify-expiring-passes": {
        "task": "passes.notify_expiring_passes",
        "schedule": crontab(minute="*/10"),
    },
    "send-review-digests": {
        "task": "passes.send_review_digests",
        "schedule": crontab(minute=0, hour="7-22"),
    },
    "publish-due-announcements": {
        "task": "passes.publish_due_announcements",
        "schedule": crontab(minute="*"),
    },
    "pull-trust-lists": {
        "task": "passes.pull_trust_lists",
        "schedule": PASSDESK_TRUST_PULL_SECONDS,
    },
    "purge-idempotency-keys": {
        "task": "passes.purge_idempotency_keys",
        "schedule": crontab(minute=17, hour="*/6"),
    },
}

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "passes.api.credentials.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "passes.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "passes.api.errors.exception_handler",
    # Throttles key on REMOTE_ADDR, which ClientAddressMiddleware has settled; never on a
    # client-supplied X-Forwarded-For.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_RATES": {
        "auth": env.str("API_THROTTLE_AUTH", default="10/min"),
        "uploads": env.str("API_THROTTLE_UPLOADS", default="120/min"),
    },
}
# API tokens expire this many days after they were issued (then: sign in again for a new one).
PASSDESK_API_TOKEN_LIFETIME_DAYS = env.int("PASSDESK_API_TOKEN_LIFETIME_DAYS", default=30)
# Replayed responses for the API's Idempotency-Key header are kept this long.
PASSDESK_IDEMPOTENCY_TTL_HOURS = env.int("PASSDESK_IDEMPOTENCY_TTL_HOURS", default=24)
SPECTACULAR_SETTINGS = {
    "TITLE": "passdesk API",
    "DESCRIPTION": "Logistics pass requests, issuance and checkpoint verification.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc come from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Tags per resource (vehicles, requests, passes, ...): Swagger groups operations by them.
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Redoc's theme names web fonts; offices run on closed networks, so system fonts only
    # (passes/api/docs.py serves Redoc without font links or the CDN logo).
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif',
                "headings": {"fontFamily": '"PingFang SC", "Microsoft YaHei", sans-serif'},
                "code": {"fontFamily": "ui-monospace, Menlo, Consolas, monospace"},
            }
        }
    },
    "ENUM_NAME_OVERRIDES": {
        "RequestStatusEnum": "passes.models.requests.PassRequest.Status",
        "PassStatusEnum": "passes.models.issued.Pass.Status",
        "VerdictEnum": "passes.checkpoint.verdicts.verdict_choices",
        "SeverityEnum": "passes.checkpoint.verdicts.severity_choices",
        "VerdictReasonEnum": "passes.checkpoint.verdicts.reason_choices",
        "DecisionEnum": "passes.models.scans.Decision",
    },
}

# --- Security (production) ------------------------------------------------------------------
# No inline script anywhere (every script is a static file); inline style attributes remain in
# a few templates. Pages may frame only our own stored-file views (the reviewer's viewer).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "media-src": ["'self'", "blob:"],
        "worker-src": ["'self'", "blob:"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REFERRER_POLICY = "same-origin"
    # Container healthchecks call /healthz/ over plain HTTP from inside the container.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SAMESITE = "Lax"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes announces itself at every start; lockouts and failures still log as warnings.
    "loggers": {"axes.apps": {"level": "WARNING"}},
}
