import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


#: The platform's own user: auto-dispatches and flags repeats nobody saw at intake (dispatch.services.system_user).
SYSTEM_USERNAME = "system"


class Role(models.TextChoices):
    CALL_TAKER = "call_taker", _("Call-taker")
    DISPATCHER = "dispatcher", _("Dispatcher")
    UNIT_STAFF = "unit_staff", _("Handling unit staff")
    GRID_WORKER = "grid_worker", _("Community / grid worker")
    CALLBACK_AGENT = "callback_agent", _("Callback agent")
    SUPERVISOR = "supervisor", _("Supervisor / leader")
    CITIZEN = "citizen", _("Citizen")
    ADMIN = "admin", _("Administrator")


HOTLINE_ROLES = (Role.CALL_TAKER, Role.DISPATCHER, Role.CALLBACK_AGENT)


class Position(models.TextChoices):
    """A person's post in their unit, from the bottom up (who may sign which approval step)."""

    NONE = "", _("—")
    STAFF = "staff", _("Staff")                        # 工作人员
    SECTION_CHIEF = "section_chief", _("Section chief")  # 科室负责人
    DEPUTY = "deputy", _("Deputy head in charge")      # 分管副职
    HEAD = "head", _("Head of the unit")               # 主要负责人


def new_token_key():
    return secrets.token_hex(24)


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CITIZEN)
    unit = models.ForeignKey("units.Unit", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="users", verbose_name=_("unit"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    position = models.CharField(_("position"), max_length=20, choices=Position.choices, default="", blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username


def token_digest(key) -> str:
    """What is kept of an API key: its SHA-256 (a 192-bit random key needs no salt or slow hash)."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for systems calling the API (Authorization: Bearer <key>). Only the key's digest is kept: the
    key itself is known once, on the object that made it (`key`, shown once in the admin), and None when read back.
    `hint` (its first six characters) tells tokens apart."""

    digest = models.CharField(_("key digest (SHA-256)"), max_length=64, unique=True, editable=False)
    hint = models.CharField(_("key begins with"), max_length=12, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=80)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("creation time"))
    last_used_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last used at"))
    active = models.BooleanField(default=True, verbose_name=_("active"))

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __init__(self, *args, key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key

    def __str__(self):
        return f"{self.name} ({self.user})"

    def save(self, *args, **kwargs):
        if not self.digest:  # a new token: its key made now, known to this object only
            self.key = self.key or new_token_key()
            self.digest, self.hint = token_digest(self.key), self.key[:6]
        super().save(*args, **kwargs)


class SignInEvent(models.Model):
    """One sign-in, failed sign-in, lockout, unlock, logout or expired session (accounts.signin): what an
    administrator reads in the admin when an account was locked or a password guessed at."""

    class Kind(models.TextChoices):
        SIGNED_IN = "signed_in", _("Signed in")
        FAILED = "failed", _("Wrong user name or password")
        LOCKED = "locked", _("Locked after repeated failures")
        REFUSED = "refused", _("Refused while locked")
        UNLOCKED = "unlocked", _("Unlocked by an administrator")
        SIGNED_OUT = "signed_out", _("Signed out")
        EXPIRED = "expired", _("Session expired")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        TRACK_MISS = "track_miss", _("Progress lookup with an unknown query code")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("event"), max_length=20, choices=Kind.choices)
    username = models.CharField(_("user name (as typed, lower case)"), max_length=150, blank=True, db_index=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="sign_ins",
                             verbose_name=_("user"))
    address = models.GenericIPAddressField(_("address"), null=True, blank=True, db_index=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                           verbose_name=_("done by"))

    class Meta:
        verbose_name = _("sign-in record")
        verbose_name_plural = _("sign-in records")
        ordering = ("-at", "-pk")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.username or '—'} · {self.address or '—'}"
