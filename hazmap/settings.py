"""Django settings for hazmap, read from the environment.

Every setting a deployment may change is an environment variable documented in README.md
("Settings"). The defaults run the embedded demo: SpatiaLite file under ``var/``, debug off,
listening on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hazmap import native

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
    _db["OPTIONS"] = {"timeout": 30}
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
