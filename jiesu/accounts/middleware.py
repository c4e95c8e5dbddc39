"""Session expiry: a staff login ends after `SESSION_IDLE_MINUTES` without a request and, however busy, after
`SESSION_MAX_HOURS` from the sign-in (a shared call-centre desk must not stay signed in as whoever sat there
last). A citizen's login keeps Django's own cookie age (SESSION_COOKIE_AGE).

The ended login is a lapsed login (core.middleware.LapsedLoginMiddleware): the page asks for the login and leads
back, and the tab's drafts stay for the same user. Times are the wall clock (time.time), not timezone.now, which
tests of deadlines set to another day.
"""
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.translation import gettext as _

from jiesu.accounts import signin
from jiesu.accounts.models import Role

SIGNED_IN_AT, SEEN_AT = signin.SIGNED_IN_AT, signin.SEEN_AT
SEEN_STEP = 60  # seconds: the session is written at most once a minute to note the user is still there


def not_activity(view):
    """Mark a view that a page asks for by itself (a poll, e.g. the dispatch queue's emergencies every 15 s): it is
    no one at the desk, so it does not keep an idle login alive (it still meets the expiry, answered as it answers
    a lapsed login)."""
    view.jiesu_not_activity = True
    return view


def is_staff_login(user):
    return user.is_staff or user.is_superuser or user.role != Role.CITIZEN


class SessionExpiryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and is_staff_login(user):
            self.check(request, user)
        return self.get_response(request)

    def check(self, request, user):
        now = time.time()
        session = request.session
        started, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
        if started is None or seen is None:  # a session from before this check (or made by a test client)
            session[SIGNED_IN_AT] = session[SEEN_AT] = now
            return
        idle, most = settings.JIESU["SESSION_IDLE_MINUTES"] * 60, settings.JIESU["SESSION_MAX_HOURS"] * 3600
        if (idle and now - seen > idle) or (most and now - started > most):
            signin.record(signin.Kind.EXPIRED, request, user=user)
            setattr(request, signin.EXPIRED, True)
            logout(request)
            if now - seen > idle > 0:
                note = _("You were signed out after %(minutes)d minutes without activity. Sign in again.") % {
                    "minutes": idle // 60}
            else:
                note = _("You were signed out %(hours)d hours after signing in. Sign in again.") % {
                    "hours": most // 3600}
            messages.info(request, note)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Note the user is still there (at most once a SEEN_STEP), unless a page asked by itself (not_activity)."""
        user = getattr(request, "user", None)
        if (user is None or not user.is_authenticated or not is_staff_login(user)
                or getattr(view_func, "jiesu_not_activity", False)):
            return None
        now = time.time()
        if now - request.session.get(SEEN_AT, now) >= SEEN_STEP:
            request.session[SEEN_AT] = now
        return None
