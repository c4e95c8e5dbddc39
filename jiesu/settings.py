"""Django settings for Jiesu. Everything has a working default: SQLite in ./var."""
import os
from pathlib import Path
from urllib.parse import urlparse, unquote

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("JIESU_VAR_DIR", PROJECT_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# The demo's key and DEBUG are the defaults (make run, the tests); a production start (gunicorn's jiesu.wsgi without
# JIESU_DEMO=1) refuses them, naming the variable to set (accounts.deploy; `jiesu check --deploy` says it too).
DEMO_SECRET_KEY = "jiesu-demo-insecure-key-change-me-in-production"
SECRET_KEY = os.environ.get("JIESU_SECRET_KEY") or DEMO_SECRET_KEY

FLAG_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def env_flag(name: str, default: bool) -> bool:
    """A switch: 1/true/yes/on or 0/false/no/off (any case); unset or empty, `default`. Anything else is refused at
    start, naming the variable: "JIESU_DEBUG=ture" must not quietly mean off (or on)."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in FLAG_WORDS:
        raise ValueError(f"{name}={os.environ[name]!r}: expected 1 or 0 (also true/false, yes/no, on/off)")
    return FLAG_WORDS[value]


DEBUG = env_flag("JIESU_DEBUG", True)

ALLOWED_HOSTS = os.environ.get("JIESU_ALLOWED_HOSTS", "*").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "jiesu.core",
    "jiesu.accounts",
    "jiesu.units",
    "jiesu.categories",
    "jiesu.workcal",
    "jiesu.tickets",
    "jiesu.dispatch",
    "jiesu.whistles",
    "jiesu.hotspots",
    "jiesu.topics",
    "jiesu.quality",
    "jiesu.demo",
    "jiesu.grids",
    "jiesu.importer",
    "jiesu.dashboards",
    "jiesu.warnings",
    "jiesu.kpi",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "jiesu.core.middleware.ChineseFirstLocaleMiddleware",
    "jiesu.core.middleware.RefuseNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "jiesu.core.middleware.LapsedLoginMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "jiesu.accounts.middleware.SessionExpiryMiddleware",  # after messages: it says why the login ended
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "jiesu.urls"
CSRF_FAILURE_VIEW = "jiesu.core.views.csrf_failure"  # the site's own 403 (reload the page), also with DEBUG
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
                "jiesu.core.context.navigation",
            ],
        },
    },
]
WSGI_APPLICATION = "jiesu.wsgi.application"


def database_from_url(url: str) -> dict:
    """postgres://user:pass@host:port/name → Django DATABASES entry."""
    parts = urlparse(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"JIESU_DATABASE_URL: unsupported scheme {parts.scheme!r}")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "TEST": {"NAME": "test_" + parts.path.lstrip("/")},
    }


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number") from None
    if number < 0:
        raise ValueError(f"{name}={value!r}: expected 0 or more")
    return number


def env_int_or_auto(name: str) -> int | None:
    """A whole number, or None when the variable is unset, empty or "auto" (the platform chooses)."""
    if os.environ.get(name, "").strip().lower() in ("", "auto"):
        return None
    try:
        return env_int(name, 0)
    except ValueError as exc:
        raise ValueError(f"{exc}, or auto") from None


def env_hours(name: str, default: str) -> tuple[int, int]:
    """'2-6' → (2, 6): a window of local hours, from the first (included) to the second (excluded)."""
    value = os.environ.get(name, "").strip() or default
    start, dash, end = value.partition("-")
    if not (dash and start.strip().isdigit() and end.strip().isdigit()
            and 0 <= int(start) <= 23 and 0 <= int(end) <= 24):
        raise ValueError(f"{name}={value!r}: expected hours as START-END, e.g. 2-6 (0–24; 0-24 for any hour)")
    return int(start), int(end) % 24


DATABASE_URL = os.environ.get("JIESU_DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "CONN_MAX_AGE": 600,
            "NAME": os.environ.get("JIESU_SQLITE_PATH", str(VAR_DIR / "jiesu.sqlite3")),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not SQLite's shared in-memory database, so tests see the same locking as production.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [  # a password set on a form (password change, the admin): at least 8, not common
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

# Sessions and cookies (docs/accounts.md). JIESU_HTTPS=1 where the site is served over HTTPS: cookies only over
# HTTPS, HTTP redirected, HSTS. JIESU_BEHIND_PROXY=1 behind a reverse proxy that sets X-Forwarded-For and
# X-Forwarded-Proto (and strips what the client sent): the sign-in locks then count the client's address; =2 behind
# two (a load balancer, then nginx), and so on: each appends the address it was reached from.
HTTPS = env_flag("JIESU_HTTPS", False)


def env_proxies(name: str) -> int:
    """How many reverse proxies stand before the platform: a whole number (2: a load balancer, then nginx), or a
    switch (1/true/yes/on: one; 0/false/no/off or unset: none)."""
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else int(env_flag(name, False))


BEHIND_PROXY = env_proxies("JIESU_BEHIND_PROXY")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS  # the platform's own host names below its one: HTTPS only as well
# Submitting the site to the browsers' HSTS preload list is a one-way decision for the domain's owner, not a setting.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Domain settings (defaults; most are editable data in the admin).
JIESU = {
    "ATTACHMENT_MAX_BYTES": int(os.environ.get("JIESU_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)),
    "ATTACHMENT_TYPES": ["image/jpeg", "image/png", "image/webp"],
    "ATTACHMENTS_PER_TICKET": 9,
    "MAX_REHANDLE_ROUNDS": 2,
    "CALLBACK_MAX_ATTEMPTS": 3,
    "WARNING_FRACTION": 0.8,
    # Beijing's bounding box (WGS-84) for validating coordinates.
    "CITY_BBOX": (115.41, 39.44, 117.51, 41.06),
    # The dispatch engine's trained model, trained and retrained by the worker (jiesu dispatch retrain); until
    # the file exists, the cold start. Empty (JIESU_DISPATCH_MODEL=): always the cold start, never trained.
    "DISPATCH_MODEL": os.environ.get("JIESU_DISPATCH_MODEL", str(VAR_DIR / "models" / "desk.npz")),
    # The worker retrains that model (jiesu dispatch retrain) every N days (0: never), between these local hours.
    "DISPATCH_RETRAIN_DAYS": env_int("JIESU_DISPATCH_RETRAIN_DAYS", 7),
    "DISPATCH_RETRAIN_HOURS": env_hours("JIESU_DISPATCH_RETRAIN_HOURS", "2-6"),
    "DISPATCH_RETRAIN_TIMEOUT_HOURS": 12,  # a run without a result after this long is marked lost
    # The worker pauses an auto-dispatch rule whose auto-dispatches the units returned more than its threshold
    # allows (accuracy.pause_flagged_rules); JIESU_DISPATCH_PAUSE_FLAGGED_RULES=0: the accuracy page only marks it.
    "DISPATCH_PAUSE_FLAGGED_RULES": env_flag("JIESU_DISPATCH_PAUSE_FLAGGED_RULES", True),
    # Training rows of a many-category model solved at once: 4 × rows² bytes (20,000: the demo city's training
    # peaks at 2.3 GB; 10,000: 1.0 GB). The default of `jiesu dispatch train/retrain --kernel-rows`. None (unset,
    # or "auto"): chosen when a training starts from the memory free then, at most 20,000 (dispatch/memory.py).
    "DISPATCH_TRAIN_ROWS": env_int_or_auto("JIESU_DISPATCH_TRAIN_ROWS"),
    # Sign-in locks (accounts.signin): this many wrong passwords for one user name, or failures from one address,
    # within the minutes lock it for the rest of them; 0: no lock of that kind.
    "SIGNIN_MAX_FAILURES": env_int("JIESU_SIGNIN_MAX_FAILURES", 5),
    "SIGNIN_MAX_FAILURES_PER_ADDRESS": env_int("JIESU_SIGNIN_MAX_FAILURES_PER_ADDRESS", 30),
    # a name with no desk yet (never signed in) is locked per address, and everywhere at this many in all
    "SIGNIN_MAX_FAILURES_UNUSED_NAME": env_int("JIESU_SIGNIN_MAX_FAILURES_UNUSED_NAME",
                                               10 * env_int("JIESU_SIGNIN_MAX_FAILURES", 5)),
    "SIGNIN_LOCK_MINUTES": env_int("JIESU_SIGNIN_LOCK_MINUTES", 15),
    "TRACK_MAX_MISSES": env_int("JIESU_TRACK_MAX_MISSES", 20),  # unknown query codes per address on /track/
    "BEHIND_PROXY": BEHIND_PROXY,
    # A staff login ends after this many minutes without a request, and this many hours after signing in (0: never);
    # a citizen's keeps SESSION_COOKIE_AGE (accounts.middleware).
    "SESSION_IDLE_MINUTES": env_int("JIESU_SESSION_IDLE_MINUTES", 30),
    "SESSION_MAX_HOURS": env_int("JIESU_SESSION_MAX_HOURS", 12),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
