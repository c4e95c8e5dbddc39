"""The notices page (/notices/): the Notice rows of the units a user acts for, unread first, and 「标为已读」.

The hotline centre's people (call-takers, dispatchers, its supervisors) read there the 「非来电紧急诉求」 notices
emergencies.notify_dispatchers writes; a unit's people read their own unit's notices (the work list shows the
newest unread ones too). An administrator, who acts for no unit, reads the hotline centre's; a city-level
supervisor reads them beside the city's own, to oversee them, without marking them read. Marking one read is
allowed to those whose units it is addressed to and who may read its ticket, and is logged: the notice keeps who and
when, the ticket's history an event 「将提醒标为已读」 (also when a unit's staff open the ticket,
services.mark_notices_read).
"""
import re
from functools import lru_cache

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone, translation
from django.utils.translation import gettext as _, gettext_noop

from jiesu.accounts.models import Role
from jiesu.core import scoping
from jiesu.core.errors import Forbidden
from jiesu.core.text_masking import notes_for
from jiesu.tickets.emergencies import emergency_notice_words, emergency_of, hotline_centre
from jiesu.tickets.models import Notice, NoticeKind, Ticket
from jiesu.tickets.services import record_event

#: Who opens the notices page.
READERS = (Role.CALL_TAKER, Role.DISPATCHER, Role.SUPERVISOR, Role.UNIT_STAFF, Role.GRID_WORKER, Role.ADMIN)
#: Whose menu shows it, with the unread count: the hotline's people (the units have theirs on the work list).
IN_MENU = (Role.CALL_TAKER, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)


def marker_unit_ids(user):
    """The units whose notices `user` marks read: those they act for; an administrator with none, the hotline
    centre."""
    units = scoping.acting_unit_ids(user)
    if not units and scoping.has_role(user, Role.ADMIN):
        hotline = hotline_centre()
        units = {hotline.pk} if hotline else set()
    return units


def reader_unit_ids(user):
    """The units whose notices `user` reads: those they mark read, and for a city-level supervisor (督办, whose city
    unit is sent none) the hotline centre's too, to oversee how its people answer them (not to mark them read:
    that stays the hotline's)."""
    units = marker_unit_ids(user)
    if user.role == Role.SUPERVISOR and scoping.is_city_wide(user):
        hotline = hotline_centre()
        units = units | ({hotline.pk} if hotline else set())
    return units


class UnreadFirst:
    """The notices a page lists, as the paginator reads them (count, slices, iteration): the unread ones, newest
    first, then the read ones, newest first. Each part walks an index of its own (`notice_unit_unread`, partial, and
    `notice_unit_newest`), so a page reads its 25 rows; one ORDER BY on "unread" sorted every notice of the unit
    (100,000 hotline notices: 105 ms on SQLite and 180 ms on PostgreSQL for the first page, bench/notices.py)."""

    def __init__(self, notices, unread_only=False):
        newest = notices.order_by("-created_at", "-pk")
        self.unread = newest.filter(read_at__isnull=True)
        self.read = newest.none() if unread_only else newest.filter(read_at__isnull=False)
        self.every = self.unread if unread_only else newest
        self._counts = None

    def counts(self):
        """(unread, read), asked once; the read ones as all but the unread (counted on the index alone)."""
        if self._counts is None:
            unread = self.unread.count()
            self._counts = (unread, self.every.count() - unread if self.every is not self.unread else 0)
        return self._counts

    def count(self):
        return sum(self.counts())

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("UnreadFirst takes slices only")
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        unread = self.counts()[0]
        rows = list(self.unread[start:min(stop, unread)]) if start < unread else []
        if stop > unread:
            rows += self.read[max(start - unread, 0):stop - unread]
        for notice in rows:
            notice.unread = notice.read_at is None
        return rows

    def __iter__(self):
        return iter(self[:])


def notices_for(user, kind="", unread_only=False):
    """The notices `user` reads (of `kind` when given), unread first, then the newest first (UnreadFirst)."""
    if not scoping.has_role(user, *READERS):
        return UnreadFirst(Notice.objects.none())
    notices = Notice.objects.filter(unit_id__in=reader_unit_ids(user))
    if not scoping.is_city_wide(user):  # asked of each notice's one ticket: the page's rows walk the index
        notices = notices.filter(Exists(scoping.visible_tickets(user, Ticket.objects.filter(pk=OuterRef("ticket_id")))))
    if kind:
        notices = notices.filter(kind=kind)
    return UnreadFirst(notices.select_related("ticket", "ticket__district", "ticket__street", "unit", "read_by"),
                       unread_only)


def unread_count(user):
    """The menu's count: the page's unread notices (the index on unit and read time; for the hotline, who read
    every ticket, no more). The notices page counts them for its heading and keeps the figure on the user
    (`_unread_notices`, remember_unread), so that the menu of the same page asks no second time."""
    kept = getattr(user, "_unread_notices", None)
    return kept if kept is not None else notices_for(user, unread_only=True).count()


def remember_unread(user, listing=None):
    """unread_count(user), kept on `user` for the rest of the request (the notices page's heading and menu).
    `listing`: the page's notices_for(user) of every kind, whose unread part is counted already."""
    user._unread_notices = (listing if listing is not None else notices_for(user, unread_only=True)).counts()[0]
    return user._unread_notices


#: The words the platform itself writes in a notice, by kind (tickets.jobs, tickets.services, grids.jobs): stored in
#: the language of whoever's request or job wrote them, said again in the reader's (words_for). A %(why)s or a
#: %(number)s is kept as written.
PLATFORM_WORDS = {
    NoticeKind.OVERDUE: (gettext_noop("Overdue: the reply was due %(due)s."),
                         gettext_noop("The grid ladder step is overdue: handle it or pass it up.")),
    NoticeKind.APPROACHING: (gettext_noop("Deadline approaching: the reply is due %(due)s."),),
    NoticeKind.TAKEN_BACK: (gettext_noop("Re-handling taken back to the hotline's dispatch queue: %(why)s"),
                            gettext_noop("Taken back to the hotline's dispatch queue: %(why)s")),
    NoticeKind.REMIND: (gettext_noop("The citizen asks about progress."),
                        gettext_noop("The same caller called again (%(number)s): call %(calls)d about this request.")),
    # reply quality's appeals (quality.services.appeal_flag, decide_appeal): the unit's and the centre's reason kept
    NoticeKind.APPEAL_MADE: (gettext_noop("%(unit)s appeals the reply-quality flag on %(number)s: %(why)s"),),
    NoticeKind.APPEAL_RULED: (gettext_noop("Appeal on %(number)s refused, the reply-quality flag stands: %(why)s"),
                              gettext_noop("Appeal on %(number)s granted, the reply-quality flag is withdrawn: "
                                           "%(why)s")),
}
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])")


@lru_cache(maxsize=None)
def _pattern(msgid, language):
    """The regular expression matching `msgid` as written in `language`, its placeholders as named groups."""
    with translation.override(language):
        written = _(msgid)
    parts, end = [], 0
    for found in _PLACEHOLDER.finditer(written):
        parts.append(re.escape(written[end:found.start()]))
        parts.append(rf"(?P<{found.group(1)}>\d+)" if found.group(2) == "d" else rf"(?P<{found.group(1)}>.+?)")
        end = found.end()
    parts.append(re.escape(written[end:]))
    return re.compile("".join(parts), re.S)


def said_again(kind, text):
    """`text`, a notice of `kind`, in the active language when the platform wrote it (PLATFORM_WORDS), else as
    stored."""
    for msgid in PLATFORM_WORDS.get(kind, ()):
        for language, _name in settings.LANGUAGES:
            found = _pattern(msgid, language).fullmatch(text)
            if found:
                facts = {k: int(v) if v.isdigit() and f"%({k})d" in msgid else v for k, v in found.groupdict().items()}
                return _(msgid) % facts if facts else _(msgid)
    return text


def words_for(user, notice, masked=None):
    """The notice's words as `user` reads them. An emergency notice, which the platform wrote from the ticket, is
    said again in the reader's language (its stored words are in the language of the request that recorded the
    ticket: a citizen's English web form stored English words for the Chinese hotline); the stored words where the
    ticket no longer reads as an emergency. The other words the platform writes (an overdue job's, a take-back's
    frame, an empty 催办's) are said again too (said_again). Every notice's words are masked as the ticket's notes are
    (text_masking.notes_for): a 催办 or 督办 may quote the citizen's name and number, and whoever may not reveal
    the contact reads them masked. `masked`: notes_for(user, notice.ticket), when the caller has it."""
    ticket = notice.ticket
    text = said_again(notice.kind, notice.text)
    if notice.kind == NoticeKind.EMERGENCY:
        hint = emergency_of(ticket)
        if hint is not None:
            text = emergency_notice_words(ticket, hint)
    return (masked or notes_for(user, ticket))(text)


def may_mark_read(user, notice):
    return (scoping.has_role(user, *READERS) and notice.unit_id in marker_unit_ids(user)
            and scoping.can_view(user, notice.ticket))


def mark_read(user, notice):
    """「标为已读」: the notice keeps who and when, the ticket's history says so. True when it was unread (a second
    click, or someone else's first, changes nothing)."""
    if not may_mark_read(user, notice):
        raise Forbidden(_("This notice is not addressed to your unit."))  # a city supervisor's too: read only
    now = timezone.now()
    if not Notice.objects.filter(pk=notice.pk, read_at__isnull=True).update(read_at=now, read_by=user):
        return False
    ticket = notice.ticket
    record_event(ticket, "notice_read", user, ticket.state, ticket.state, at=now, notice=notice.pk,
                 notice_kind=notice.kind)
    return True
