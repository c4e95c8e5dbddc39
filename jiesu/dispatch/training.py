"""Training data from the platform's own closed tickets: the dispatcher-confirmed category is the label.

    from jiesu.dispatch import training

    examples = training.confirmed_examples(since=date(2026, 1, 1))   # [Example(title, text, label, ticket_id)]
    model = classifier.train_from_tickets(training.pairs(examples))  # labels are category codes
    n = training.write_csv("var/training.csv", examples)             # columns title, text, category

`jiesu dispatch_training FILE` writes that CSV, which trains a model with
`jiesu dispatch train --from-csv FILE --text title,text --label category --out var/models/desk.npz`
(name the file in settings.JIESU["DISPATCH_MODEL"], i.e. JIESU_DISPATCH_MODEL, and the engine uses it).

A closed ticket is an example when a person dispatched it (a `dispatch` event
by someone other than the auto-dispatch `system` user): the category it was
closed with is the one a dispatcher confirmed, and a return upheld on
arbitration does not change it. Left out: tickets closed as special class
(never dispatched), merged duplicates (their parent is the example), tickets
only ever auto-dispatched (the model would learn from itself), and
inactive categories. The text is the engine's (services.ticket_text), so the
model is trained on what it will be asked.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db.models import Exists, OuterRef

COLUMNS = ("title", "text", "category")


@dataclass(frozen=True)
class Example:
    title: str
    text: str
    label: str          # category code
    ticket_id: int

    @property
    def joined(self):
        from jiesu.dispatch.services import ticket_text

        return ticket_text(self.title, self.text)


def confirmed_tickets(since=None, until=None):
    """Closed tickets whose category a person confirmed by dispatching them (see the module docstring)."""
    from jiesu.dispatch.services import SYSTEM_USERNAME
    from jiesu.tickets.models import CloseReason, State, Ticket, TicketEvent

    by_person = (TicketEvent.objects.filter(ticket=OuterRef("pk"), kind="dispatch", actor__isnull=False)
                 .exclude(actor__username=SYSTEM_USERNAME))
    qs = (Ticket.objects.filter(state=State.CLOSED, category__isnull=False, category__active=True,
                                parent__isnull=True)
          .exclude(close_reason=CloseReason.SPECIAL).filter(Exists(by_person)))
    if since is not None:
        qs = qs.filter(closed_at__gte=since)
    if until is not None:
        qs = qs.filter(closed_at__lt=until)
    return qs


def confirmed_examples(since=None, until=None, limit=None):
    """[Example] of confirmed_tickets, oldest closing first (`limit`: the newest that many)."""
    qs = confirmed_tickets(since, until).order_by("-closed_at", "-id")
    if limit:
        qs = qs[:limit]
    rows = qs.values_list("id", "title", "text", "category__code").iterator(chunk_size=5000)
    out = [Example(title or "", text or "", code, pk) for pk, title, text, code in rows]
    out.reverse()
    return out


def texts_and_labels(examples):
    """(texts, labels) as TextClassifier.fit takes them."""
    return [e.joined for e in examples], [e.label for e in examples]


def pairs(examples):
    """[(text, label)] as classifier.train_from_tickets takes them."""
    return [(e.joined, e.label) for e in examples]


def write_csv(path, examples):
    """The examples as UTF-8 CSV (title, text, category); the title is left empty when the text repeats it,
    so that `--text title,text` joins them exactly as services.ticket_text does. Returns the row count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for e in examples:
            title, text = e.title.strip(), e.text.strip()
            if title and text.startswith(title):
                title = ""
            out.writerow((title, text, e.label))
            n += 1
    return n
