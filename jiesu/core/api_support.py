"""API authentication (bearer token or session) and JSON errors that name the field."""
from django.core.exceptions import PermissionDenied
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer, django_auth

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
        from jiesu.accounts.models import ApiToken

        found = TOKENS.get_or_load(token, lambda: ApiToken.objects.select_related("user", "user__unit")
                                   .filter(key=token, active=True).first())
        if found is None or not found.user.is_active:
            return None
        now = timezone.now()
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
            found.last_used_at = now  # the cached copy too, or every request would write until it expires
        request.user = found.user
        return found.user


def auth_methods():
    return [TokenAuth(), django_auth]


def _field_of(loc):
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "form", "file")]
    return ".".join(parts) or None


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

    @api.exception_handler(ValidationError)
    def invalid(request, exc):
        errors = [{"field": _field_of(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors]
        first = errors[0] if errors else {"field": None, "message": ""}
        return api.create_response(request, {"error": "invalid", "field": first["field"],
                                             "message": first["message"], "errors": errors}, status=422)
