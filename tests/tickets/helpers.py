from jiesu.tickets import services
from jiesu.tickets.services import IntakeData


def new_ticket(w, **kw):
    data = dict(text="东华门大街有人占道经营，堵塞人行道", citizen_name="张三", citizen_phone="13812345678",
                category_code=w.category.code, street_code=w.street.code)
    data.update(kw)
    ticket, _ = services.create_ticket(w.call_taker, IntakeData(**data))
    return ticket


def replied_ticket(w, **kw):
    t = new_ticket(w, **kw)
    services.dispatch(w.dispatcher, t, w.street.pk)
    services.sign(w.street_staff, t)
    services.contact(w.street_staff, t, "已电话联系")
    return services.reply(w.street_staff, t, "已清理占道摊点", True)
