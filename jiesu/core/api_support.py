"""API authentication (bearer token or session) and JSON errors that name the field."""
from typing import Annotated

from django.core.exceptions import PermissionDenied
from django.db.models.signals import post_delete, post_save
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from jiesu.core.errors import DomainError
from jiesu.core.memo import TTLCache


TOKENS = TTLCache(ttl=30)


def _tokens_changed(**kwargs):
    TOKENS.clear()


post_save.connect(_tokens_changed, sender="accounts.ApiToken", dispatch_uid="tokens-token")
post_save.connect(_tokens_changed, sender="accounts.User", dispatch_uid="tokens-user")
post_delete.connect(_tokens_changed, sender="accounts.ApiToken", dispatch_uid="tokens-token-del")


class TokenAuth(HttpBearer):
    """Bearer tokens; a token's user is cached for 30 s per process (revocation takes effect within that)."""

    def authenticate(self, request, token):
        from jiesu.accounts.models import ApiToken, token_digest

        digest = token_digest(token)
        found = TOKENS.get_or_load(digest, lambda: ApiToken.objects.select_related("user", "user__unit")
                                   .filter(digest=digest, active=True).first())
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now  # the cached copy too, or every request would write until it expires
        request.user = found.user
        return found.user


class LoggedInSession(SessionAuth):
    """Django's session login. The CSRF check is made for a logged-in user only: without one there is nothing to
    forge, and a POST with no login or an expired token is refused as unauthenticated (401), as a GET is, not
    with ninja's English "CSRF check Failed" (403)."""

    def _get_key(self, request):
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


def auth_methods():
    return [TokenAuth(), LoggedInSession()]


class NotAnObject(ValueError):
    """A JSON body that is an array, a string, a number or null: every endpoint's body is an object."""


class ObjectParser(Parser):
    """ninja's JSON parser, refusing a body that is not a JSON object: an endpoint whose fields all have defaults
    (催办 with `text`, a grid's figures) read `[]`, `"abc"`, `null` or `42` as an empty object and acted on it (a
    reminder written with no text)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise NotAnObject(type(data).__name__)
        return data


def _field_of(loc):
    """The field a refusal is about, as the caller sent it: the location without the input's source (body, query,
    path, form, file) and the body's parameter (payload), so that a field named `form` (a summons' 会商形式)
    keeps its name."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "form", "file", "cookie", "header"):
        parts = parts[1:]
    if parts and parts[0] == "payload":
        parts = parts[1:]
    return ".".join(parts) or None


def _limit(ctx, *keys):
    return next((ctx[k] for k in keys if k in ctx), "")


#: The API's common fields in words: a refusal names the field so (「建议序号（rank）不能小于 1。」), the field's
#: own name kept for the integrator.
FIELD_LABELS = {
    "text": gettext_lazy("request text"), "title": gettext_lazy("title"), "address": gettext_lazy("address"),
    "rank": gettext_lazy("suggestion number"), "top": gettext_lazy("number of suggestions"),
    "lon": gettext_lazy("longitude"), "lat": gettext_lazy("latitude"),
    "coord_system": gettext_lazy("coordinate system"), "note": gettext_lazy("note"),
    "category": gettext_lazy("category"), "lead_unit": gettext_lazy("lead unit"), "co_units": gettext_lazy("co units"),
    "expect_category": gettext_lazy("category shown"), "expect_lead": gettext_lazy("lead unit shown"),
    "ticket_id": gettext_lazy("ticket id"), "phone": gettext_lazy("phone"), "name": gettext_lazy("name"),
    "confirm_negative": gettext_lazy("dispatch despite the negative list"),
}


def field_label(field):
    """A field named for a person and for a program: 建议序号（rank）; the name alone when it has no label."""
    if not field:
        return _("the input")
    label = FIELD_LABELS.get(field.rsplit(".", 1)[-1])
    return _("%(label)s (%(field)s)") % {"label": label, "field": field} if label else field


def validation_message(error, field):
    """A schema check's refusal (pydantic's error type and context) said in the user's language, naming the
    field: pydantic's own messages are English only."""
    kind, ctx, name = error.get("type", ""), error.get("ctx") or {}, field_label(field)
    says = {
        "missing": lambda: _("%(field)s is required.") % {"field": name},
        "int_parsing": lambda: _("%(field)s must be a whole number.") % {"field": name},
        "int_type": lambda: _("%(field)s must be a whole number.") % {"field": name},
        "int_from_float": lambda: _("%(field)s must be a whole number.") % {"field": name},
        "float_parsing": lambda: _("%(field)s must be a number.") % {"field": name},
        "float_type": lambda: _("%(field)s must be a number.") % {"field": name},
        "finite_number": lambda: _("%(field)s must be a finite number.") % {"field": name},
        "bool_parsing": lambda: _("%(field)s must be true or false (a JSON boolean, without quotes).") % {
            "field": name},
        "bool_type": lambda: _("%(field)s must be true or false (a JSON boolean, without quotes).") % {
            "field": name},
        "greater_than_equal": lambda: _("%(field)s must be at least %(limit)s.") % {
            "field": name, "limit": _limit(ctx, "ge")},
        "greater_than": lambda: _("%(field)s must be more than %(limit)s.") % {"field": name, "limit": _limit(ctx, "gt")},
        "less_than_equal": lambda: _("%(field)s must be at most %(limit)s.") % {
            "field": name, "limit": _limit(ctx, "le")},
        "less_than": lambda: _("%(field)s must be less than %(limit)s.") % {"field": name, "limit": _limit(ctx, "lt")},
        "string_too_long": lambda: _("%(field)s is too long: at most %(limit)s characters.") % {
            "field": name, "limit": _limit(ctx, "max_length")},
        "string_too_short": lambda: _("%(field)s is too short: at least %(limit)s characters.") % {
            "field": name, "limit": _limit(ctx, "min_length")},
        "too_long": lambda: _("%(field)s has too many items: at most %(limit)s.") % {
            "field": name, "limit": _limit(ctx, "max_length")},
        "literal_error": lambda: _("%(field)s must be one of: %(expected)s.") % {
            "field": name, "expected": _limit(ctx, "expected")},
        "enum": lambda: _("%(field)s must be one of: %(expected)s.") % {"field": name, "expected": _limit(ctx, "expected")},
        "json_invalid": lambda: _("The request body is not valid JSON."),
        "string_type": lambda: _("%(field)s must be text.") % {"field": name},
        "list_type": lambda: _("%(field)s must be a list.") % {"field": name},
        "dict_type": lambda: _("%(field)s must be an object.") % {"field": name},
        **dict.fromkeys(("datetime_parsing", "datetime_type", "datetime_from_date_parsing", "date_parsing",
                         "date_type", "date_from_datetime_parsing", "date_from_datetime_inexact"),
                        lambda: _("%(field)s must be a date and time as 2026-12-01T10:00:00+08:00 (or a date, "
                                  "2026-12-01).") % {"field": name}),
        "model_attributes_type": lambda: _("%(field)s must be an object.") % {"field": name},
    }.get(kind)
    return says() if says else _("%(field)s: %(problem)s") % {"field": name, "problem": error.get("msg", "")}


def _coordinate(value):
    from jiesu.dispatch.coords import number_text

    if isinstance(value, bool):  # pydantic reads true as 1.0: a longitude of 1, "outside the city"
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return number_text(value) if isinstance(value, str) else value  # 116。41, as the intake page reads it


#: A longitude or latitude in a request: a finite number (or a number in a string, read as the intake page reads
#: it: coords.number_text), not true/false, not NaN.
Coordinate = Annotated[float, BeforeValidator(_coordinate), Field(allow_inf_nan=False)]


def _number(value):
    if isinstance(value, bool):  # pydantic reads true as 1.0
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return value


#: A measured number in a request (a sensor's threshold): finite, not true/false.
Number = Annotated[float, BeforeValidator(_number), Field(allow_inf_nan=False)]

#: A yes/no field: true or false only. pydantic's default also read "yes", "on", "1" and 1 as true (and "no", "off",
#: "0" as false); validation_message words the refusal (须为 true 或 false).
Flag = Annotated[bool, Field(strict=True)]

#: A record's id in a body (a unit, a parent ticket): a JSON whole number, not true (read as 1, another record) nor
#: "12", and within the database's integers (2**63 raised an OverflowError, a 500, on SQLite).
RecordId = Annotated[int, Field(strict=True, ge=1, le=2 ** 63 - 1)]

#: A count in a body (working days, a grid's population): a JSON whole number from 0 within a database integer.
Count = Annotated[int, Field(strict=True, ge=0, le=2 ** 31 - 1)]


def install_error_handlers(api):
    @api.exception_handler(DomainError)
    def domain_error(request, exc):
        return api.create_response(request, exc.as_dict(), status=exc.status)

    @api.exception_handler(PermissionDenied)
    def permission_denied(request, exc):
        return api.create_response(request, {"error": "forbidden", "field": None,
                                             "message": str(exc) or _("You may not do this.")}, status=403)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request, exc):
        return api.create_response(request, {"error": "unauthenticated", "field": None,
                                             "message": _("Log in or send a valid API token.")}, status=401)

    @api.exception_handler(HttpError)
    def http_error(request, exc):
        """ninja's own refusals (its messages are English): a body that is not JSON, a session POST without the
        page's CSRF token."""
        if exc.status_code == 400:
            message = _("The request body must be a JSON object ({\"name\": value, …}).") if isinstance(
                exc.__cause__, NotAnObject) else _("The request body is not valid JSON.")
            return api.create_response(request, {"error": "invalid", "field": None, "message": message}, status=400)
        if exc.status_code == 403 and "CSRF" in str(exc):
            return api.create_response(request, {"error": "csrf", "field": None, "message": _(
                "The page's security token is missing or has expired: reload the page and try again.")}, status=403)
        return api.create_response(request, {"error": "http", "field": None, "message": str(exc)},
                                   status=exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return api.create_response(request, {"error": "not_found", "field": None,
                                             "message": _("There is no such record.")}, status=404)

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        errors = []
        for e in exc.errors:
            field = _field_of(e.get("loc", ()))
            errors.append({"field": field, "message": validation_message(e, field)})
        first = errors[0] if errors else {"field": None, "message": ""}
        return api.create_response(request, {"error": "invalid", "field": first["field"],
                                             "message": first["message"], "errors": errors}, status=422)



def unknown_address(request, response):
    """The answer to an /api/ address no endpoint answers (an unknown path, or an id its route cannot take:
    /whistles/-1/close): Django's HTML 404 page becomes a 404 in the API's error shape and the caller's language.
    Any other response is returned as it is."""
    if response.status_code != 404 or not request.path.startswith("/api/") or \
            response.get("Content-Type", "").startswith("application/json"):
        return response
    return error_answer("not_found", _("No API endpoint has this address: check the path and the id in it."), 404)


def method_not_allowed(request, response):
    """django-ninja's 405 (a plain English "Method not allowed") in the API's error shape and the caller's language,
    its Allow header kept (tests/core/test_every_page_audit.py). Any other response is returned as it is."""
    if response.status_code != 405 or not request.path.startswith("/api/") or "Allow" not in response:
        return response
    allowed = response["Allow"]
    answer = error_answer("method_not_allowed", _("%(method)s is not allowed here; this address takes %(allowed)s.")
                          % {"method": request.method, "allowed": allowed}, 405)
    answer["Allow"] = allowed
    return answer


def error_answer(error, message, status):
    """An answer in the API's error shape made outside its endpoints (by the middleware)."""
    from django.http import JsonResponse

    return JsonResponse({"error": error, "field": None, "message": message}, status=status)
