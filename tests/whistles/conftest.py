"""The tickets' small world plus what whistles need: a street's approval chain, a district user, duties."""
import importlib

import pytest

from jiesu.accounts.models import Role, User
from jiesu.categories.models import Duty
from jiesu.tickets import services as ticket_services
from jiesu.whistles import services
from jiesu.whistles.models import WhistleLevel
from jiesu.whistles.services import WhistleData
from tickets.conftest import at, fast_passwords, world as ticket_world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

__all__ = ["at", "fast_passwords", "new_ticket"]


def ensure_default_levels():
    """The levels the data migration adds: a transactional test (live_server) empties every table after
    itself, so a later test may find none."""
    from django.apps import apps

    if not WhistleLevel.objects.exists():
        importlib.import_module("jiesu.whistles.migrations.0002_default_levels").add_levels(apps, None)
        importlib.import_module("jiesu.whistles.migrations.0004_approval_positions").set_default_positions(apps, None)


@pytest.fixture
def world(ticket_world):
    ensure_default_levels()
    w = ticket_world
    w.deputy = User.objects.create_user("deputy", password="pw", role=Role.UNIT_STAFF, unit=w.street,
                                        position="deputy")
    w.chief = User.objects.create_user("chief", password="pw", role=Role.SUPERVISOR, unit=w.street, position="head")
    # the duty list: 占道经营 → the street leads, 市场监管 co-handles; 人社局 has no duty for it
    Duty.objects.create(category=w.category, unit_kind="street", role="lead")
    Duty.objects.create(category=w.category, unit=w.dept2, scope="sectoral", role="co")
    return w


def contacted_ticket(w, **kw):
    """A ticket dispatched to the street, signed and the citizen contacted (ready for a reply)."""
    t = new_ticket(w, **kw)
    ticket_services.dispatch(w.dispatcher, t, w.street.pk)
    ticket_services.sign(w.street_staff, t)
    ticket_services.contact(w.street_staff, t, "已电话联系")
    t.refresh_from_db()
    return t


def whistle(w, level="normal", mode="regular", tickets=(), units=None, **kw):
    units = units if units is not None else [(w.dept.pk, "on_site"), (w.dept2.pk, "meeting")]
    data = WhistleData(title=kw.pop("title", "东华门大街占道经营反复回潮"),
                       description=kw.pop("description", "早市摊贩占道，多次整治后回潮，需多部门联合执法。"),
                       level=level, mode=mode, tickets=[t.pk for t in tickets], summons=units, **kw)
    return services.raise_whistle(w.street_staff, data)
