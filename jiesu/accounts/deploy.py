"""What a production start refuses: the demo's secret key (anyone could forge a login cookie or a password-reset
link signed with it: it is in the source) and DEBUG (an error page would show the settings and the code).

The settings keep working defaults for the demo (`make run`, the tests, the benchmarks); what tells a demo or a
development start from a production one is JIESU_DEMO=1, which `jiesu run` (the development server) sets itself.
gunicorn's `jiesu.wsgi:application` without it is a production start: jiesu.wsgi calls refuse_unsafe_start(), which
stops the start with what to set, naming the environment variable, in the environment's language (Chinese first).
`jiesu check --deploy` reports the same (and a demo is no deployment: JIESU_DEMO=1 is reported there too), and
warns of settings that are likely wrong: no JIESU_ALLOWED_HOSTS (W001), JIESU_HTTPS=1 without JIESU_BEHIND_PROXY
(W002: behind a proxy ending HTTPS, endless redirects and every form refused by the CSRF origin check).
"""
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

from jiesu.core.language import environment_language

SECRET_KEY_MIN_LENGTH, SECRET_KEY_MIN_CHARACTERS = 50, 5  # as Django's check --deploy (security.W009)
MAKE_A_KEY = 'python3 -c "import secrets; print(secrets.token_urlsafe(50))"'
WORDS = {
    "no_key": {
        "zh-hans": "未设置 JIESU_SECRET_KEY：现在用的是源代码里的演示密钥，任何人都能用它伪造登录。请设置一个至少 "
                   f"{SECRET_KEY_MIN_LENGTH} 个字符的随机密钥，例如用 {MAKE_A_KEY} 生成。",
        "en": f"JIESU_SECRET_KEY is not set: the demo's key, which is in the source, would let anyone forge a login. "
              f"Set a random key of at least {SECRET_KEY_MIN_LENGTH} characters, e.g. made by {MAKE_A_KEY}.",
    },
    "short_key": {
        "zh-hans": f"JIESU_SECRET_KEY 太短或太单一：至少需要 {SECRET_KEY_MIN_LENGTH} 个字符、{SECRET_KEY_MIN_CHARACTERS} 种"
                   f"不同的字符。请换一个随机密钥，例如用 {MAKE_A_KEY} 生成。",
        "en": f"JIESU_SECRET_KEY is too short or too plain: at least {SECRET_KEY_MIN_LENGTH} characters, "
              f"{SECRET_KEY_MIN_CHARACTERS} different ones. Set a random key, e.g. made by {MAKE_A_KEY}.",
    },
    "debug": {
        "zh-hans": "生产环境必须设置 JIESU_DEBUG=0：调试模式下，出错的页面会显示设置和代码。",
        "en": "Production needs JIESU_DEBUG=0: with debugging on, an error page shows the settings and the code.",
    },
    "demo": {
        "zh-hans": "JIESU_DEMO=1 表示演示或开发环境（演示密钥、调试模式都被允许），不能用于生产。",
        "en": "JIESU_DEMO=1 says this is a demo or development start (the demo's key and debugging allowed), "
              "not a production one.",
    },
    "demo_users": {
        "zh-hans": "演示用户仍在使用演示密码：{names}。这些账号的密码写在 README 里，任何人都能登录。请在后台停用这些账号，"
                   "或修改其密码（jiesu changepassword <用户名>）。",
        "en": "Demo users still have the demo password: {names}. It is written in README: anyone can sign in as "
              "them. Deactivate them in the admin or change their passwords (jiesu changepassword <user name>).",
    },
    "any_host": {
        "zh-hans": "JIESU_ALLOWED_HOSTS 未设置（任何主机名都被接受）：请设为本站的域名，多个用逗号分隔。",
        "en": "JIESU_ALLOWED_HOSTS is not set (any host name is taken): set the site's host names, comma-separated.",
    },
    "https_without_proxy": {
        "zh-hans": "设置了 JIESU_HTTPS=1 但没有设置 JIESU_BEHIND_PROXY：如果 HTTPS 由 nginx 等反向代理终止，每个请求在本平台看来"
                   "都是 HTTP，会被反复重定向到 HTTPS，CSRF 来源检查也会拒绝所有表单（包括登录）。请设置 JIESU_BEHIND_PROXY=1，"
                   "并让代理传递浏览器使用的 Host 和 X-Forwarded-Proto（见 docs/accounts.md）；只有 gunicorn 自己提供 HTTPS "
                   "时才无需设置。",
        "en": "JIESU_HTTPS=1 without JIESU_BEHIND_PROXY: where nginx (or another reverse proxy) ends HTTPS, every "
              "request looks like plain HTTP here: it is redirected to HTTPS again and again, and the CSRF origin "
              "check refuses every form, the sign-in first. Set JIESU_BEHIND_PROXY=1 and have the proxy pass the Host "
              "the browser used and X-Forwarded-Proto (docs/accounts.md); only gunicorn serving HTTPS itself needs "
              "neither.",
    },
    "refused": {
        "zh-hans": "生产环境启动被拒绝（jiesu.wsgi）：\n{problems}\n演示或开发环境请设置 JIESU_DEMO=1（jiesu run 已自动设置）。",
        "en": "Production start refused (jiesu.wsgi):\n{problems}\nFor a demo or development start set JIESU_DEMO=1 "
              "(jiesu run sets it).",
    },
}


def is_demo() -> bool:
    """Whether this process was started as a demo or for development (JIESU_DEMO=1; `jiesu run` sets it)."""
    from jiesu.settings import env_flag

    return env_flag("JIESU_DEMO", False)


def problems() -> list[str]:
    """The keys of WORDS that the settings would refuse in production, in order."""
    key = settings.SECRET_KEY
    found = []
    if key == settings.DEMO_SECRET_KEY:
        found.append("no_key")
    elif len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_CHARACTERS:
        found.append("short_key")
    if settings.DEBUG:
        found.append("debug")
    return found


def demo_users_with_the_demo_password() -> list[str]:
    """The active demo users (`jiesu setup` makes them) whose password is still the demo's, by name. The loader gives
    them one hash, so this is one slow password check per hash (none when the database has no demo users, or
    their passwords were changed on the site or in the admin, which is recorded)."""
    from jiesu.accounts.models import SignInEvent, User
    from jiesu.demo.users import DEMO_PASSWORD, DEMO_USERS

    changed = SignInEvent.objects.filter(kind=SignInEvent.Kind.PASSWORD_CHANGED, user__isnull=False).values("user_id")
    found = (User.objects.filter(username__in=[demo.username for demo in DEMO_USERS], is_active=True)
             .exclude(pk__in=changed).order_by("username").values_list("username", "password"))
    by_hash = {}
    for username, hashed in found:
        by_hash.setdefault(hashed, []).append(username)
    return sorted(name for hashed, names in by_hash.items() if check_password(DEMO_PASSWORD, hashed) for name in names)


def database_problems() -> list[tuple[str, dict]]:
    """What the database holds that production refuses: (key of WORDS, its values); none when it cannot be read
    (not reachable yet, not migrated: the start goes on and meets that itself)."""
    try:
        names = demo_users_with_the_demo_password()
    except DatabaseError:
        return []
    finally:
        connections.close_all()  # a preloading server forks after this: no connection shared by its workers
    return [("demo_users", {"names": "、".join(names)})] if names else []


def said(problem, language=None, **values) -> str:
    words = WORDS[problem][language or environment_language() or "zh-hans"]
    return words.format(**values) if values else words


def refuse_unsafe_start():
    """Stop a production start (not JIESU_DEMO=1) whose settings are the demo's, saying what to set."""
    found = [] if is_demo() else [(problem, {}) for problem in problems()] + database_problems()
    if found:
        language = environment_language() or "zh-hans"
        lines = "\n".join(f"- {said(problem, language, **values)}" for problem, values in found)
        raise ImproperlyConfigured(said("refused", language).format(problems=lines))


@checks.register(checks.Tags.security, deploy=True)
def production_settings(app_configs=None, databases=None, **kwargs):
    """`jiesu check --deploy`: what a production start would refuse, and a demo's JIESU_DEMO=1, as errors; with
    `--database default`, the demo users that still have the demo password too."""
    found = [(problem, {}) for problem in problems() + (["demo"] if is_demo() else [])]
    if databases:
        found += database_problems()
    errors = [checks.Error(said(problem, **values), id=f"jiesu.E{list(WORDS).index(problem) + 1:03d}")
              for problem, values in found]
    if "*" in settings.ALLOWED_HOSTS:  # a warning: the site builds no link from the Host header
        errors.append(checks.Warning(said("any_host"), id="jiesu.W001"))
    if settings.SECURE_SSL_REDIRECT and not settings.SECURE_PROXY_SSL_HEADER:  # a warning: gunicorn may serve HTTPS
        errors.append(checks.Warning(said("https_without_proxy"), id="jiesu.W002"))
    return errors

