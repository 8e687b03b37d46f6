"""Django settings for hazmap, read from the environment.

Every setting a deployment may change is an environment variable documented in README.md
("Settings"). The defaults run the embedded demo: SpatiaLite file under ``var/``, debug off,
listening on 127.0.0.1 only.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hazmap import basemap, native

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a true/false environment variable (1/0, true/false, yes/no, on/off)."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    """Read an integer environment variable, refusing values below ``minimum``."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum {minimum}")
    return value


ALARM_STEPS = ("see", "verify", "apply_plan", "report", "close")
DURATION_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def env_step_limits(name: str, default: str) -> dict[str, int]:
    """Read the time limits of the alarm handling steps, e.g. ``see=5m,verify=15m,apply_plan=1h,report=24h,close=3d``.

    Each limit counts from the alarm's start (s, m, h or d); every step must be named, and a later step
    may not have a shorter limit than an earlier one. Returns seconds by step.
    """
    raw = os.environ.get(name) or default
    limits: dict[str, int] = {}
    for part in raw.split(","):
        step, _sep, duration = part.strip().partition("=")
        step, duration = step.strip(), duration.strip()
        unit = DURATION_UNITS_S.get(duration[-1:])
        if step not in ALARM_STEPS or unit is None or not duration[:-1].isdigit() or int(duration[:-1]) <= 0:
            raise ImproperlyConfigured(
                f"{name}: {part.strip()!r} is not step=duration with a step of {', '.join(ALARM_STEPS)} and a "
                "positive duration in s, m, h or d (e.g. see=5m)"
            )
        limits[step] = int(duration[:-1]) * unit
    missing = [step for step in ALARM_STEPS if step not in limits]
    if missing:
        raise ImproperlyConfigured(f"{name} gives no limit for {', '.join(missing)}")
    for earlier, later in itertools.pairwise(ALARM_STEPS):
        if limits[later] < limits[earlier]:
            raise ImproperlyConfigured(f"{name}: the limit of {later} is shorter than the limit of {earlier}")
    return {step: limits[step] for step in ALARM_STEPS}


def env_json_object(name: str) -> dict:
    """Read an environment variable holding a JSON object (empty: ``{}``)."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return {}
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} is not JSON ({error}): {raw!r}") from None
    if not isinstance(value, dict):
        raise ImproperlyConfigured(f'{name} must be a JSON object such as {{"levels": {{"red": 80}}}}, not {raw!r}')
    return value


VAR_DIR = Path(os.environ.get("HAZMAP_VAR_DIR") or BASE_DIR / "var").resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def secret_key() -> str:
    """HAZMAP_SECRET_KEY, or a random key kept in var/secret_key so sessions survive restarts."""
    key = os.environ.get("HAZMAP_SECRET_KEY")
    if key:
        return key
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = secret_key()
DEBUG = env_bool("HAZMAP_DEBUG", False)
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("HAZMAP_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("HAZMAP_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

# --- native libraries (GDAL, GEOS from the rasterio wheel; pysqlite3 for SpatiaLite) -------------
native.gdal_data_dirs()
native.preload_wheel_libraries()
native.use_pysqlite3()
GDAL_LIBRARY_PATH = os.environ.get("GDAL_LIBRARY_PATH") or native.wheel_library("libgdal")
GEOS_LIBRARY_PATH = os.environ.get("GEOS_LIBRARY_PATH") or native.wheel_library("libgeos_c")
SPATIALITE_LIBRARY_PATH = os.environ.get("SPATIALITE_LIBRARY_PATH", "mod_spatialite")

# --- database ------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"spatialite:///{VAR_DIR / 'hazmap.sqlite3'}"
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
if _db["ENGINE"] == "django.contrib.gis.db.backends.spatialite":
    _db["NAME"] = str((BASE_DIR / _db["NAME"]).resolve())  # relative paths are from the project
    _db["CONN_MAX_AGE"] = 0
    # BEGIN IMMEDIATE: a transaction that will write takes SQLite's write lock when it starts, waiting up to
    # 30 s for it, instead of failing at once with "database is locked" when two transactions that began
    # by reading both try to write (the ingest thread, the background tasks and requests in one process).
    _db["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    _db["TEST"] = {"NAME": str(VAR_DIR / "test_hazmap.sqlite3")}
elif _db["ENGINE"] != "django.contrib.gis.db.backends.postgis":
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with spatialite:// or postgis://, not {DATABASE_URL.split(':')[0]}://"
    )
# PostGIS: Django's connection pool (psycopg-pool), at most HAZMAP_DB_POOL connections per process. Under
# ASGI every request runs in a thread of its own, so without a pool each request opens a connection
# (tiles/README.md measures the difference); 0 turns the pool off (a connection per thread, kept 60 s).
HAZMAP_DB_POOL = env_int("HAZMAP_DB_POOL", 10, minimum=0)
DB_POOL_TIMEOUT_S = 10.0  # how long a request waits for a connection of the pool before it fails
if _db["ENGINE"] == "django.contrib.gis.db.backends.postgis" and HAZMAP_DB_POOL:
    _db["CONN_MAX_AGE"] = 0  # the pool keeps the connections
    _db["OPTIONS"] = {
        "pool": {"min_size": min(2, HAZMAP_DB_POOL), "max_size": HAZMAP_DB_POOL, "timeout": DB_POOL_TIMEOUT_S}
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Readings are kept at least this many days (the monitoring rules ask for ≥ 30 days).
HAZMAP_READING_RETENTION_DAYS = env_int("HAZMAP_READING_RETENTION_DAYS", 90, minimum=30)
# Feature changes are kept this long for the live stream's reconnection (Last-Event-ID).
HAZMAP_EVENT_RETENTION_HOURS = env_int("HAZMAP_EVENT_RETENTION_HOURS", 24, minimum=1)

# --- notifications (geo.notify) ------------------------------------------------------------------
# E-mail goes out through SMTP when HAZMAP_SMTP_HOST is set; SMS through an HTTP gateway at HAZMAP_SMS_URL.
EMAIL_HOST = os.environ.get("HAZMAP_SMTP_HOST", "")
EMAIL_PORT = env_int("HAZMAP_SMTP_PORT", 25, minimum=1)
EMAIL_HOST_USER = os.environ.get("HAZMAP_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("HAZMAP_SMTP_PASSWORD", "")
EMAIL_USE_TLS = env_bool("HAZMAP_SMTP_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("HAZMAP_MAIL_FROM", "hazmap@localhost")
EMAIL_TIMEOUT = 10
HAZMAP_SMS_URL = os.environ.get("HAZMAP_SMS_URL", "")
HAZMAP_SMS_TOKEN = os.environ.get("HAZMAP_SMS_TOKEN", "")
_available_channels = ["inbox"] + (["email"] if EMAIL_HOST else []) + (["sms"] if HAZMAP_SMS_URL else [])
HAZMAP_NOTIFY_CHANNELS = [
    c.strip() for c in os.environ.get("HAZMAP_NOTIFY_CHANNELS", ",".join(_available_channels)).split(",") if c.strip()
]
_unknown_channels = sorted(set(HAZMAP_NOTIFY_CHANNELS) - {"inbox", "email", "sms"})
if _unknown_channels:
    raise ImproperlyConfigured(
        f"HAZMAP_NOTIFY_CHANNELS lists unknown channels: {_unknown_channels} (known: inbox, email, sms)"
    )
HAZMAP_NOTIFY_MAX_ATTEMPTS = env_int("HAZMAP_NOTIFY_MAX_ATTEMPTS", 10, minimum=1)
HAZMAP_NOTIFY_INTERVAL_S = env_int("HAZMAP_NOTIFY_INTERVAL_S", 10, minimum=1)

# --- registry (geo.registry_workflow) -----------------------------------------------------------
# The sources of an enterprise in a chemical park register with the park's own regulators (true), or with
# those of the county (or city) the park belongs to (false). Sources of a county's enterprises always
# register with the county.
HAZMAP_PARKS_REGISTER = env_bool("HAZMAP_PARKS_REGISTER", True)
# --- the basemap beneath hazmap's own layers (hazmap/basemap.py): none by default, the map is offline
BASEMAP = basemap.configured(os.environ)
# Vector plans (plant_plans.vector, web.plans_vector): the largest file accepted (also unpacked, for a zip),
# the most features read from one plan, and how far outside the enterprise's site a feature may lie.
HAZMAP_PLAN_VECTOR_MAX_MB = env_int("HAZMAP_PLAN_VECTOR_MAX_MB", 100, minimum=1)
HAZMAP_PLAN_VECTOR_MAX_FEATURES = env_int("HAZMAP_PLAN_VECTOR_MAX_FEATURES", 50_000, minimum=1)
HAZMAP_PLAN_SITE_TOLERANCE_M = env_int("HAZMAP_PLAN_SITE_TOLERANCE_M", 50, minimum=0)
# --- alarm handling (geo.alarm_handling) ---------------------------------------------------------
# Time limits of each step, from the alarm's start, per alarm level (2 = the higher set point, GB/T 50493
# §5.5). hazmap's choice: no official limits are published (../shared/data/other_standards.md).
HAZMAP_ALARM_LIMITS = {
    1: env_step_limits("HAZMAP_ALARM_LIMITS_1", "see=5m,verify=15m,apply_plan=1h,report=24h,close=3d"),
    2: env_step_limits("HAZMAP_ALARM_LIMITS_2", "see=3m,verify=10m,apply_plan=30m,report=12h,close=2d"),
}
# How often `hazmap serve` announces new alarms and escalates overdue steps (seconds).
HAZMAP_ALARM_CHECK_INTERVAL_S = env_int("HAZMAP_ALARM_CHECK_INTERVAL_S", 10, minimum=1)
# Alarms that started longer ago are neither announced nor escalated (history loaded or delivered late).
HAZMAP_ALARM_HORIZON_DAYS = env_int("HAZMAP_ALARM_HORIZON_DAYS", 30, minimum=1)
# --- hierarchy of centres (hierarchy/conf.py reads the rest from the environment) ------------------
# Seconds between two summaries of this centre's region for its parent (hierarchy.summary).
HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S = env_int("HAZMAP_HIERARCHY_SUMMARY_INTERVAL_S", 3600, minimum=60)
# --- site plans (plant_plans): limits of an uploaded plan, and the resolution a PDF page is rendered at ---
HAZMAP_PLAN_MAX_MB = env_int("HAZMAP_PLAN_MAX_MB", 200, minimum=1)
HAZMAP_PLAN_MAX_MPX = env_int("HAZMAP_PLAN_MAX_MPX", 120, minimum=1)
HAZMAP_PLAN_PDF_DPI = env_int("HAZMAP_PLAN_PDF_DPI", 200, minimum=36)
# Points and thresholds of the risk level (geo.risk), a JSON object over its defaults, e.g.
# HAZMAP_RISK_WEIGHTS='{"danger_major": 50, "levels": {"red": 80}}'; checked when the apps start.
HAZMAP_RISK_WEIGHTS = env_json_object("HAZMAP_RISK_WEIGHTS")

# --- applications --------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "hazmap",
    "geo",
    "layers",
    "tiles",
    "acquisition",
    "hierarchy",
    "web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hazmap.urls"
ASGI_APPLICATION = "hazmap.asgi.application"
AUTH_USER_MODEL = "geo.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- language and time: Chinese first, English on request; stored in UTC, shown in Shanghai ----
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Asia/Shanghai"

# --- static files --------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"

# --- the map front end (web/): built by Vite from frontend/ into frontend/dist, served under /static/app/
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [("app", FRONTEND_DIST)] if FRONTEND_DIST.is_dir() else []
WHITENOISE_IMMUTABLE_FILE_TEST = r"^/static/app/assets/"  # Vite writes a content hash into these names
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# --- logging: one line per event on stderr -------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("HAZMAP_LOG_LEVEL", "INFO").upper()},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
