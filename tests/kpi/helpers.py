"""Drive tickets through jiesu.tickets.services and read the rollup tables back."""
from jiesu.kpi.models import COUNTERS, DailyRollup, MonthlyRollup
from jiesu.tickets import services
from tests.tickets.helpers import new_ticket


def handled(w, unit=None, staff=None, resolved="resolved", satisfied="satisfied", **kw):
    """A ticket dispatched to `unit`, signed, contacted, replied and called back once."""
    unit, staff = unit or w.street, staff or w.street_staff
    t = new_ticket(w, **kw)
    services.dispatch(w.dispatcher, t, unit.pk)
    services.sign(staff, t)
    services.contact(staff, t, "已电话联系")
    services.reply(staff, t, "已处理", True)
    return services.record_callback(w.callback_agent, t, True, resolved, satisfied)


def table(model):
    """Every key's counts summed over its shards, non-zero ones only, as {key: {counter: n}}."""
    keys = ("day", "unit_id", "category_id", "channel", "exclusion") if model is DailyRollup \
        else ("month", "dim", "key", "exclusion")
    sums = {}
    for row in model.objects.values(*keys, *COUNTERS):
        total = sums.setdefault(tuple(row[k] for k in keys), dict.fromkeys(COUNTERS, 0))
        for c in COUNTERS:
            total[c] += row[c]
    out = {}
    for key, total in sums.items():
        counts = {c: n for c, n in total.items() if n}
        if counts:
            out[key] = counts
    return out


def unit_totals(unit_id, exclusions=("special", "merged", "consult", "unreasonable")):
    """Counters of one lead unit over every day, leaving out the excluded classes."""
    total = dict.fromkeys(COUNTERS, 0)
    for key, counts in table(DailyRollup).items():
        if key[1] == unit_id and key[4] not in exclusions:
            for c, n in counts.items():
                total[c] += n
    return total


def snapshot():
    return table(DailyRollup), table(MonthlyRollup)
