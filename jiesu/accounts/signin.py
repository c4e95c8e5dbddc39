"""Sign-in protection: repeated failures lock a user name (and an address), and every sign-in is recorded.

A user name with `SIGNIN_MAX_FAILURES` wrong passwords within `SIGNIN_LOCK_MINUTES` is locked for the rest of that
window: even the right password is refused, with a message saying when to try again or to ask an administrator
(the admin's user list and sign-in records unlock it). The failures are counted per address the name signed in from
(its desks) and together for the others, so a stranger cannot lock a call-taker out of the desk; a name with no
desk yet has them counted per address, under a ceiling for all addresses (lock_of). An address with
`SIGNIN_MAX_FAILURES_PER_ADDRESS` failures (any user names: one machine guessing at many accounts) is locked the same way, but for the user names signed in
from it before. A sign-in resets its user name's count; it does not reset its address's (one valid account must
not clear a guesser's address).

The check is made by the login forms (the site's and the admin's), before the password is looked at; the
records come from Django's own signals, so every way in (test clients, the admin) is recorded alike.
"""
import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import signals
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jiesu.accounts.models import SignInEvent, User

Kind = SignInEvent.Kind


def limit(name):
    return settings.JIESU[name]


def client_address(request):
    """The address a request came from: REMOTE_ADDR, or behind N proxies (JIESU_BEHIND_PROXY=N) the N-th address of
    X-Forwarded-For from the right, the one the outermost proxy appended (each proxy appends the address it was
    reached from; earlier ones are whatever the client wrote). Behind one, the last."""
    if request is None:
        return None
    address = request.META.get("REMOTE_ADDR", "")
    proxies = int(limit("BEHIND_PROXY"))
    if proxies:
        forwarded = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [entry for entry in forwarded if entry]
        address = forwarded[-min(proxies, len(forwarded))] if forwarded else address
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def username_key(username):
    return (username or "").strip().lower()[:150]


def record(kind, request=None, username="", user=None, by=None):
    agent = request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""
    return SignInEvent.objects.create(kind=kind, username=username_key(username or getattr(user, "username", "")),
                                      user=user, address=client_address(request), user_agent=agent, by=by)


@dataclass(frozen=True)
class Lock:
    until: datetime
    of_address: bool

    def minutes_left(self):
        return max(1, -(-int((self.until - timezone.now()).total_seconds()) // 60))

    def message(self):
        minutes = self.minutes_left()
        if self.of_address:
            return ngettext(
                "Too many failed sign-ins from this computer: signing in from it is locked for %(minutes)d more "
                "minute. Try again then, or ask an administrator to unlock it.",
                "Too many failed sign-ins from this computer: signing in from it is locked for %(minutes)d more "
                "minutes. Try again then, or ask an administrator to unlock it.", minutes) % {"minutes": minutes}
        return ngettext(
            "Too many wrong passwords: this account is locked for %(minutes)d more minute. Try again then, or ask "
            "an administrator to unlock it.",
            "Too many wrong passwords: this account is locked for %(minutes)d more minutes. Try again then, or ask "
            "an administrator to unlock it.", minutes) % {"minutes": minutes}


def _lock(failures, reset_kinds, reset_filter, most):
    window = timedelta(minutes=limit("SIGNIN_LOCK_MINUTES"))
    since = timezone.now() - window
    reset = SignInEvent.objects.filter(kind__in=reset_kinds, **reset_filter).order_by("-at").values_list(
        "at", flat=True).first()
    recent = failures.filter(at__gt=max(since, reset) if reset else since).order_by("-at").values_list("at", flat=True)
    times = list(recent[:most])
    if most and len(times) >= most:
        return times[-1] + window
    return None


KNOWN_ADDRESS_DAYS = 30


def known_addresses(key):
    """The addresses user name `key` signed in from within KNOWN_ADDRESS_DAYS."""
    return set(SignInEvent.objects.filter(
        kind=Kind.SIGNED_IN, username=key, address__isnull=False,
        at__gte=timezone.now() - timedelta(days=KNOWN_ADDRESS_DAYS)).values_list("address", flat=True).distinct())


def unused_name_ceiling():
    """Failures from all addresses together that lock a name with no desk everywhere: SIGNIN_MAX_FAILURES_UNUSED_NAME
    (JIESU_SIGNIN_MAX_FAILURES_UNUSED_NAME, by default 10 × JIESU_SIGNIN_MAX_FAILURES: 50); 0: no such lock."""
    return limit("SIGNIN_MAX_FAILURES_UNUSED_NAME")


def lock_of(username, address):
    """The Lock a sign-in as `username` from `address` meets now, or None.

    A user name's failures are counted apart for each address it signed in from within KNOWN_ADDRESS_DAYS (its
    desks), and together for all the others: a stranger who knows the name locks it for the strangers' addresses,
    not at the desk where its owner starts a shift; the desk has its own count (someone guessing at it is stopped
    there). A guesser moving from address to address gains nothing (those failures are counted together).
    A name with no desk (never signed in, or not within KNOWN_ADDRESS_DAYS: a new account, a department user not
    used yet) has its failures counted apart for every address, so a stranger cannot lock out its first sign-in,
    and all together against unused_name_ceiling() (a guesser moving from address to address is stopped there).
    An address's lock does not hold for a user name signed in from it within KNOWN_ADDRESS_DAYS (a call centre's
    desks share one address: a few people's typos or one guesser there must not lock out the centre); the user
    name's own lock still does."""
    failed = SignInEvent.objects.filter(kind=Kind.FAILED)
    key = username_key(username)
    known = known_addresses(key) if key else set()
    if key:
        mine = failed.filter(username=key)
        if address in known:
            counts = [(mine.filter(address=address), limit("SIGNIN_MAX_FAILURES"))]
        elif known:
            counts = [(mine.exclude(address__in=known), limit("SIGNIN_MAX_FAILURES"))]
        else:  # no desk yet: this address's count, and all addresses' against the ceiling
            counts = [(mine.filter(address=address), limit("SIGNIN_MAX_FAILURES")), (mine, unused_name_ceiling())]
        for failures, most in counts:
            until = _lock(failures, (Kind.SIGNED_IN, Kind.UNLOCKED), {"username": key}, most)
            if until:
                return Lock(until, of_address=False)
    if address and address not in known:
        until = _lock(failed.filter(address=address), (Kind.UNLOCKED,), {"address": address},
                      limit("SIGNIN_MAX_FAILURES_PER_ADDRESS"))
        if until:
            return Lock(until, of_address=True)
    return None


def track_lock(request):
    """The Lock the public progress page (/track/) meets from the request's address, or None: TRACK_MAX_MISSES query
    codes that do not exist within SIGNIN_LOCK_MINUTES (a script walking the 8-digit codes) stop it for the rest of
    that window. An administrator's unlock of the address clears it, as a sign-in lock."""
    address = client_address(request)
    if not address:
        return None
    until = _lock(SignInEvent.objects.filter(kind=Kind.TRACK_MISS, address=address), (Kind.UNLOCKED,),
                  {"address": address}, limit("TRACK_MAX_MISSES"))
    return Lock(until, of_address=True) if until else None


def track_refusal(lock):
    minutes = lock.minutes_left()
    return ngettext("Too many wrong query codes from this computer: looking up progress is paused for %(minutes)d more "
                    "minute.",
                    "Too many wrong query codes from this computer: looking up progress is paused for %(minutes)d more "
                    "minutes.", minutes) % {"minutes": minutes}


def unlock(username="", address=None, by=None):
    """An administrator's unlock of a user name and/or an address (recorded; the failures before it no longer
    count)."""
    return SignInEvent.objects.create(kind=Kind.UNLOCKED, username=username_key(username), address=address or None,
                                      by=by, user=User.objects.filter(username__iexact=username_key(username)).first()
                                      if username else None)


def guarded(request, username, check, record_failure=False):
    """check() (a password check raising ValidationError), refused at once while `username` or the request's address
    is locked, and turned into the lock's message when its failure was the last one allowed. A failed sign-in is
    recorded by Django's signal; another check records its failure itself (record_failure)."""
    address = client_address(request)
    lock = lock_of(username, address)
    if lock:
        record(Kind.REFUSED, request, username)
        raise ValidationError(lock.message(), code="locked")
    try:
        return check()
    except ValidationError:
        if record_failure:
            record(Kind.FAILED, request, username)
        lock = lock_of(username, address)
        if lock:
            record(Kind.LOCKED, request, username)
            raise ValidationError(lock.message(), code="locked") from None
        raise


class ThrottledLogin:
    """The lock check around a login form's authentication (mixed into the site's and the admin's forms)."""

    def clean(self):
        return guarded(self.request, self.data.get("username", ""), super().clean)


class PasswordChange(PasswordChangeForm):
    """The old password is a password guessed like a sign-in's: a desk left signed in must not let whoever sits
    there try without end. The view sets `request`."""
    request = None

    def clean_old_password(self):
        return guarded(self.request, self.user.username, super().clean_old_password, record_failure=True)


class SignInForm(ThrottledLogin, AuthenticationForm):
    pass


class AdminSignInForm(ThrottledLogin, AdminAuthenticationForm):
    pass


SIGNED_IN_AT, SEEN_AT = "jiesu_signed_in_at", "jiesu_seen_at"  # in the session: wall-clock times (accounts.middleware)
EXPIRED = "_jiesu_expired"  # on a request whose session the expiry middleware ended: its logout is not a sign-out


@receiver(signals.user_logged_in, dispatch_uid="accounts-signed-in")
def _signed_in(sender, request, user, **kwargs):
    record(Kind.SIGNED_IN, request, user=user)
    session = getattr(request, "session", None)
    if session is not None:  # the session's clocks start now, also when it is the same user's earlier session
        session[SIGNED_IN_AT] = session[SEEN_AT] = time.time()


@receiver(signals.user_login_failed, dispatch_uid="accounts-failed")
def _failed(sender, credentials, request=None, **kwargs):
    record(Kind.FAILED, request, credentials.get("username", ""))


@receiver(signals.user_logged_out, dispatch_uid="accounts-signed-out")
def _signed_out(sender, request, user, **kwargs):
    if user is not None and not getattr(request, EXPIRED, False):
        record(Kind.SIGNED_OUT, request, user=user)
