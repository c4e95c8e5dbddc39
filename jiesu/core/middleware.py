"""Chinese first: the UI language is the user's explicit choice (cookie), else 简体中文.

Django's LocaleMiddleware would follow the browser's Accept-Language, so an
English browser would get English by default; a Beijing hotline's staff
should see Chinese unless they switch. The API is the exception: a program
has no cookie to set, so for /api/ an Accept-Language naming a language we
have (en, zh-hans…) is followed when no cookie chose one.
"""
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from jiesu.core import drafts


class ChineseFirstLocaleMiddleware(MiddlewareMixin):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        if chosen not in supported and request.path.startswith("/api/"):
            chosen = _accepted(request.headers.get("Accept-Language", ""))
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_response(self, request, response):
        if request.path.startswith("/api/"):
            from jiesu.core.api_support import method_not_allowed

            response = method_not_allowed(request, response)
            patch_vary_headers(response, ("Accept-Language", "Cookie"))  # the answer's language: caches keep apart
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def _accepted(header):
    """The first language of an Accept-Language header that the platform speaks ('' when none)."""
    from django.utils.translation.trans_real import parse_accept_lang_header

    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            continue
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return ""


NUL = "\x00"


def nul_field(request):
    """The name of the first request input holding a NUL character (U+0000), or None: a header, a query
    parameter, a form field or file name, or a JSON value (named by its path, e.g. `units.0.name`)."""
    for name, value in request.headers.items():
        if NUL in value:
            return name
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in v for v in values):
            return name
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        if b"\\u0000" not in request.body:  # a NUL in JSON text is always written so (JSON has no raw NUL)
            return None
        import json

        try:
            return _nul_path(json.loads(request.body))
        except ValueError:
            return None  # not JSON: the view says so
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in v for v in values):
                return name
        for name, upload in request.FILES.items():
            if NUL in (upload.name or ""):
                return name
    return None


def surrogate_field(request):
    """The path of the first JSON value (or key) holding a lone surrogate (U+D800-U+DFFF, written `\\ud800` in
    JSON: half of a UTF-16 pair), or None. JSON may spell one; UTF-8, SQLite and PostgreSQL cannot hold it."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None
    content_type = request.content_type or ""
    if not (content_type == "application/json" or content_type.endswith("+json")) or b"\\ud" not in \
            request.body.lower():
        return None
    import json

    try:
        return _nul_path(json.loads(request.body), holds=_lone_surrogate)
    except ValueError:
        return None  # not JSON: the view says so


def _lone_surrogate(text):
    return any("\ud800" <= c <= "\udfff" for c in text)


def _holds_nul(text):
    return NUL in text


def _nul_path(value, path="", holds=_holds_nul):
    if isinstance(value, str):
        return path or "body" if holds(value) else None
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        here = f"{path}.{key}" if path else str(key)
        if holds(str(key)):
            return here
        found = _nul_path(item, here, holds)
        if found is not None:
            return found
    return None


class RefuseNulMiddleware:
    """A request carrying a NUL character in any input, or a lone surrogate in a JSON value, is refused (400, naming
    the input) before a view runs.

    PostgreSQL can neither store nor compare text holding NUL: a form field, an API value or a search
    term with one raised a DataError (a 500, after part of the work) there, while SQLite stored it. No
    input of this platform means a NUL, so it is refused the same on both databases, and nothing is
    changed. The API answers in its JSON error shape, pages in plain text, in the user's language.
    A lone surrogate (JSON's "\\ud800" without its pair) cannot even be written in UTF-8: SQLite and PostgreSQL
    raised a UnicodeEncodeError (a 500) on every endpoint storing or looking up text.
    An /api/ address no endpoint answers gets the API's JSON 404 rather than the site's page
    (api_support.unknown_address).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils.translation import gettext as _

        field = nul_field(request)
        if field is not None:
            message = _("“%(field)s” holds a NUL character (U+0000), which no input may hold; nothing was "
                        "changed.") % {"field": field}
        else:
            field = surrogate_field(request)
            if field is None:
                from jiesu.core.api_support import unknown_address

                return unknown_address(request, self.get_response(request))
            message = _("“%(field)s” holds half of a character (a lone surrogate, U+D800-U+DFFF), which no text "
                        "may hold; nothing was changed.") % {"field": field}
        from django.http import HttpResponseBadRequest, JsonResponse

        if request.path.startswith("/api/"):
            return JsonResponse({"error": "invalid", "field": field, "message": message}, status=400)
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")



UNSENT = "unsent=1"  # on the login page's address: a form was sent after the login lapsed, and not saved


class LapsedLoginMiddleware:
    """What a page's request gets when the login has lapsed, so that nothing typed is lost on the way back.

    An HTMX request (the duplicate panel, a picker) gets a short 401 message instead of the login page, which
    HTMX would swap into the part of the page it updates. A form sent by POST leads, after the login, back to
    the page it was on (its same-site Referer), not to its POST-only address (a 405); without a Referer, to the
    page the form names (its `next`), else its own address where a GET opens its page (core.drafts.way_back),
    else to the user's home.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not _to_login(response):
            return response
        if request.headers.get("HX-Request"):
            return HttpResponse(_("Your login has expired: reload this page and log in again; what you typed is "
                                  "filled in again."), status=401, content_type="text/plain; charset=utf-8")
        if request.method == "POST":  # the login page says that what was sent was not saved (UNSENT)
            back = _local(drafts.way_back(request))
            login = redirect_to_login(back) if back else HttpResponseRedirect(settings.LOGIN_URL)
            login["Location"] += ("&" if back else "?") + UNSENT
            return login
        return response


def _to_login(response):
    """Whether the response sends an anonymous request to log in first (login_required's redirect, with `next`;
    a logout's redirect to the login page has none)."""
    location = urlsplit(response.get("Location", "")) if response.status_code in (301, 302) else None
    return location is not None and location.path == settings.LOGIN_URL and "next=" in location.query


def _local(url):
    """A same-site URL's path and query, as the login's `next` takes it."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
