import os
from urllib.parse import urlparse, urlunparse

from django.db import connection

from jiesu.tickets import services
from jiesu.tickets.services import IntakeData


def new_ticket(w, **kw):
    data = dict(text="东华门大街有人占道经营，堵塞人行道", citizen_name="张三", citizen_phone="13812345678",
                category_code=w.category.code, street_code=w.street.code)
    data.update(kw)
    ticket, _ = services.create_ticket(w.call_taker, IntakeData(**data))
    return ticket


def replied_ticket(w, **kw):
    return reply_to(w, new_ticket(w, **kw), note="已电话联系")


def reply_to(w, t, text="已清理占道摊点", dispatch=True, note=""):
    """The street handles a ticket: dispatched to it (unless `dispatch` is False: already), signed, the citizen
    contacted, replied."""
    if dispatch:
        services.dispatch(w.dispatcher, t, w.street.pk)
    services.sign(w.street_staff, t)
    services.contact(w.street_staff, t, note)
    return services.reply(w.street_staff, t, text, True)


def point_children_at_the_test_database(monkeypatch):
    """Point a child process (`jiesu …` started by a test) at this test's database: it inherits the environment.
    The test needs django_db(transaction=True), so that the child sees what the test wrote."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        monkeypatch.setenv("JIESU_SQLITE_PATH", db["NAME"])
    else:
        url = urlparse(os.environ["JIESU_DATABASE_URL"])
        monkeypatch.setenv("JIESU_DATABASE_URL", urlunparse(url._replace(path="/" + db["NAME"])))


def last_id(model):
    """The highest id of `model`'s rows, 0 when none."""
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def not_yet_committed(ticket):
    """Take the ticket's row out as if its transaction had not committed yet (a later ticket is committed and seen
    first); the call returned puts it back, as its late commit."""
    from jiesu.tickets.models import Ticket

    row = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).delete()
    return lambda: row.save(force_insert=True)
