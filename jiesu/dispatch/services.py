"""The dispatcher's desk: suggestions for the queue, dispatch with a suggestion log, auto-dispatch, accuracy.

    from jiesu.dispatch import services as desk

    found = desk.suggestions_for(ticket)                  # engine.suggest on the ticket's text and place
    ticket, row = desk.dispatch_and_log(user, ticket, lead_id, co_ids, note, category_code)
    ticket, row = desk.accept(user, ticket, rank=1)      # dispatch suggestion #1 as suggested
    report = desk.auto_dispatch_new_tickets(now)         # AutoDispatchRule thresholds, as the system user
    figures = desk.accuracy_report(weeks=DEFAULT_WEEKS)  # the accuracy page (jiesu.dispatch.accuracy)

Every dispatch made here writes one `DispatchSuggestion`: the engine's top-3
at that moment, what was chosen, and the rank of the suggestion accepted (or
null: an override, a training signal). Tickets are only ever changed through
jiesu.tickets.services.dispatch.
"""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from jiesu.accounts.models import SYSTEM_USERNAME, Role, User
from jiesu.categories.models import RequestType
from jiesu.core.errors import Conflict, DomainError
from jiesu.dispatch import engine, router
from jiesu.dispatch.accuracy import (  # noqa: F401 — the accuracy page's figures, once defined here
    ACCURACY_ROLES, DEFAULT_WEEKS, GUIDE_THRESHOLDS, KEEP_ROWS, PREPARE_ROWS, SNAPSHOT_MAX_AGE, SNAPSHOT_REFRESH,
    SNAPSHOT_WATCHED, Accuracy, accuracy_for, accuracy_report, audience, audience_user, by_model, counted_report,
    iso_week, keep_snapshot, logged, recent_audiences, report_window, returns_report, snapshots_to_refresh,
    threshold_guide, worth_keeping)
from jiesu.dispatch.accusation import Accusation, accusation_in
from jiesu.dispatch.duplicates import (OPEN_INDEX, _confirmed, _mark_proposed, _proposals_of, awaiting_decision,
                                      confirmed_candidates, emergency_hint, place_of_ticket, proposals,
                                      ticket_duplicates)
from jiesu.dispatch.gazetteer import LEVELS
from jiesu.dispatch.locator import LocateError
from jiesu.dispatch.models import (AUTO_THRESHOLD_MIN, AutoDispatchRule, DispatchSuggestion, RetrainRun, RetrainState,
                                   SuggestionSource)
from jiesu.tickets import services as tickets
from jiesu.tickets.models import Assignment, AssignmentRole, PlaceSource, State, Ticket
from jiesu.units.models import UnitKind

log = logging.getLogger(__name__)

TOP = 3
HANDLING_KINDS = frozenset(str(k) for k in tickets.HANDLING_UNIT_KINDS)

_warm = {"done": False}  # the engine answered once in this process: its model and tables are loaded


# ── suggestions ─────────────────────────────────────────────────────────────

def ticket_text(title, text):
    """The text the engine classifies: title and description (the title once if the text starts with it).

    Training (jiesu.dispatch.training) uses the same, so the model sees what it was trained on.
    """
    title, text = (title or "").strip(), (text or "").strip()
    if not title or text.startswith(title):
        return text or title
    return f"{title}\n{text}" if text else title


def emergency_of(ticket):
    """The emergency line a ticket's title and text call for (duplicates.emergency_hint), or None: wording in the
    title alone counts too."""
    return emergency_hint(ticket_text(ticket.title, ticket.text))


def accusation_of(ticket, suggestion=None):
    """Why a ticket must reach a person before any unit, or None: it is typed a report (举报), its citizen asked for
    confidentiality (保密), or its text reports or accuses a unit (accusation.accusation_in), the units of its place
    and, given a `suggestion`, those it would go to counting as named officials."""
    if ticket.request_type == RequestType.REPORT:
        return Accusation("report", "")
    if ticket.confidential:
        return Accusation("confidential", "")
    return accusation_in(ticket_text(ticket.title, ticket.text), accused_unit_names(ticket, suggestion))


def accused_unit_names(ticket, suggestion=None):
    """The names of the ticket's district, street and community and, given a suggestion, of its lead, co units and
    the district it copies."""
    units = [ticket.district, ticket.street, ticket.community]
    if suggestion is not None:
        units += [suggestion.lead, *suggestion.co, suggestion.copy_to]
    return [u.name for u in units if u is not None]


def place_hint(ticket):
    """The ticket's stored place as names the gazetteer knows (东城区 东华门街道 东华门第一社区).

    Intake already decided the place (a call-taker's pick wins over the address), so the
    engine is given that place rather than the free-text address when there are no coordinates,
    unless the address gave it (Ticket.place_source): then the engine is asked with the address, so that its place
    carries the address's confidence and reason (a road that crosses streets: 0.74) instead of the stored names'
    near certainty, as a local rule's and auto-dispatch's confidence follow how sure the place is (router).
    """
    names = [u.name for u in (ticket.district, ticket.street, ticket.community) if u is not None]
    return " ".join(names)


def suggestions_for(ticket, top=TOP, classifier=None):
    """engine.suggest for a ticket: its coordinates if it has them, else its stored place (its address when the
    address gave it), else its address."""
    text = ticket_text(ticket.title, ticket.text)
    if ticket.lon is not None and ticket.lat is not None:
        try:
            found = engine.suggest(text, ticket.address, ticket.lon, ticket.lat, "wgs84", top=top,
                                   classifier=classifier)
            _warm["done"] = True
            return with_grid_first(ticket, found)
        except LocateError:
            pass  # stored coordinates the locator refuses: fall back to the place names
    address = ticket.address if ticket.place_source == PlaceSource.ADDRESS else place_hint(ticket) or ticket.address
    found = engine.suggest(text, address, top=top, classifier=classifier)
    _warm["done"] = True
    if ticket.place_source == PlaceSource.CHOSEN and found.place is not None and found.place.unit is not None:
        found.place.reason = chosen_place_reason(ticket)
    return with_grid_first(ticket, found)


def chosen_place_reason(ticket):
    """The place's reason when the call-taker chose it at intake (受理时选定：东华门街道): the engine was asked with
    the chosen names, which it would word as found in an address."""
    chosen = ticket.community or ticket.street or ticket.district
    return ("place_chosen", {"place": chosen.name}) if chosen is not None else ("place_nothing", None)


def with_grid_first(ticket, found):
    """The suggestions, each sent to the ticket's grid, community or street where its grid duty list says so.

    小事不出网格 (Art.24): a hotline ticket inside a grid goes first to the level of the
    grid that the street's duty list names for the matter; accepting such a suggestion
    opens ladder step 1 (jiesu.grids.services.open_grid_first_step). A grid, community or
    street the negative list bars for the category is never offered: that suggestion keeps
    the dispatch catalogue's unit, its explanation saying why (负面清单 #N：…不得派给 …，未建议网格先办).
    """
    if not ticket.grid_id:
        return found
    from jiesu.dispatch.wording import words
    from jiesu.grids import services as grids

    table = router.reference().table  # as the catalogue's suggestions are barred: the cached table, no query
    place = {level: table.units.get(getattr(ticket, f"{level}_id")) for level in router.LEVELS}
    for s, target in zip(found, grids.grid_first_each(ticket, [s.category for s in found])):
        if target is None:
            continue
        unit, w = target["unit"], words()
        if (barring := table.barring(s.category, place, unit)) is not None:
            s.explanation = w["grid_first_barred"] % {
                "explanation": s.explanation, "id": barring.id, "category": table.category(barring.category_id).name,
                "unit": unit.name, "level": w[f"level_{target['level']}"]}
            continue
        s.lead, s.co, s.copy_to, s.mode, s.duty_id = unit, [], None, "grid_first", None
        s.explanation = w["grid_first"] % {"name": s.category.name, "p": f"{s.probability:.0%}",
                                           "level": w[f"level_{target['level']}"], "unit": unit.name}
    return found


def form_route(ticket):
    """(lead unit or None, [co units]) the dispatch form of `ticket` starts from.

    The router's first answer for the ticket's own category at its stored place, sent to the grid first where
    the grid duty list says so: what the suggestion panel names for that category, so that the form and the
    panel never disagree (the form once read the catalogue on its own and fell back to the street where the
    router, by Art.12, names the district government). A lead no unit can handle (the hotline centre, when not
    even the district is known) is left for the dispatcher to choose. Without a category, or when routing
    fails (the form must still work): the ticket's street, else its district.
    """
    from jiesu.grids import services as grids

    fallback = (ticket.street or ticket.district, [])
    if not ticket.category_id:
        return fallback
    try:
        table = router.reference().table
        category = table.category(ticket.category_id)  # its parents in memory: the grid duty list reads them
        target = grids.grid_first(ticket, category)
        if target is not None:
            return target["unit"], []
        place = {level: table.units.get(getattr(ticket, f"{level}_id")) for level in LEVELS}
        first = table.route(category, place)[0]
    except KeyError:  # a category newer than the in-memory table, which is rebuilt within seconds
        return fallback
    except Exception:  # noqa: BLE001 — as safe_suggestions: dispatching by hand must work without the router
        log.exception("dispatch form: no route for ticket %s", ticket.pk)
        return fallback
    if not dispatchable(first):
        return None, []
    return first.lead, [u for u in first.co if u.id != first.lead.id]


def safe_suggestions(ticket, top=TOP):
    """suggestions_for, but an engine failure (a damaged model file…) gives no suggestions, never an error."""
    try:
        return suggestions_for(ticket, top=top)
    except Exception:  # noqa: BLE001 — the desk and dispatching must work without the engine
        log.exception("dispatch desk: no suggestions for ticket %s", ticket.pk)
        return engine.Suggestions()


@dataclass
class ModelInUse:
    """What the accuracy page says about the engine's classifier in this process."""

    version: str
    cold_start: bool
    trained_at: datetime | None = None
    n_train: int | None = None
    n_classes: int | None = None
    retraining: dict | None = None  # jiesu dispatch retrain's judgement, when it put the model in place
    # the model file that could not be read: the cold start in use, or (unreadable.kept) this model, loaded before
    unreadable: engine.UnreadableModel | None = None
    unreadable_words: str = ""  # why, in the reader's language, naming the file (for staff)


def model_in_use():
    """The engine's classifier, described; None when it cannot be had (the desk shows no suggestions then)."""
    try:
        clf = engine.default_classifier()
    except Exception:  # noqa: BLE001 — as safe_suggestions
        log.exception("dispatch desk: no classifier")
        return None
    meta = getattr(clf, "meta", None) or {}
    trained, version = meta.get("trained_at"), getattr(clf, "version", "") or type(clf).__name__
    unreadable = unreadable_model_file(engine.is_cold_start(clf), version)
    return ModelInUse(version=version, cold_start=engine.is_cold_start(clf),
                      trained_at=datetime.fromisoformat(trained) if trained else None, n_train=meta.get("n_train"),
                      n_classes=len(meta["classes"]) if meta.get("classes") else None,
                      retraining=meta.get("retraining"), unreadable=unreadable,
                      unreadable_words=unreadable.words(_) if unreadable else "")


def unreadable_model_file(cold_start, kept=None):
    """The desk's model file that could not be read (engine.UnreadableModel), while the cold start answers instead
    (`cold_start`: the classifier that answered is it) or, given `kept`, while this process keeps the trained
    model of that version it loaded before; else None."""
    found = engine.unreadable_model()
    if found is None or (found.kept != (kept or "") if found.kept else not cold_start):
        return None
    return found


def engine_is_warm():
    """True once the engine has answered in this process (later suggestions cost ≈ 0.3 ms each)."""
    return _warm["done"]


def dispatchable(suggestion):
    """A suggestion whose lead is a handling unit (not the hotline centre's 'dispatch by hand')."""
    lead = suggestion.lead
    return lead is not None and str(lead.kind) in HANDLING_KINDS and suggestion.mode != "hotline"


#: A suggestion shown under this percentage is not dispatched by one key (desk.js asks for the form), nor by the
#: API's accept without "confirm": the model gives it less than 1 chance in 20, a guess rather than a suggestion
#: (docs/dispatch-desk.md, "Keyboard").
ONE_KEY_FLOOR_PERCENT = 5


def shown_percent(suggestion):
    """A suggestion's confidence as the desk shows it (44%)."""
    return f"{suggestion.confidence:.0%}"


def one_key_may_dispatch(suggestion, cold_start):
    """Whether a suggestion may be dispatched without a second look: shown at ONE_KEY_FLOOR_PERCENT or more (5% on
    the screen is 5%), or coming from the cold start, whose percentages only rank (a right suggestion shows at
    1–10 %: the panel's head says so)."""
    return cold_start or int(shown_percent(suggestion)[:-1]) >= ONE_KEY_FLOOR_PERCENT


def _brief(unit):
    return {"id": unit.id, "code": unit.code, "name": unit.name} if unit is not None else None


def suggestion_rows(suggestions):
    """The suggestions as stored in DispatchSuggestion.suggested (plain JSON)."""
    return [{
        "rank": s.rank,
        "category": {"id": s.category.id, "code": s.category.code, "name": s.category.name},
        "lead": _brief(s.lead),
        "co": [_brief(u) for u in s.co],
        "probability": round(float(s.probability), 4),
        "routing_confidence": round(float(s.routing_confidence), 4),
        "confidence": round(float(s.confidence), 4),
        "mode": s.mode,
        "duty_id": s.duty_id,
        "explanation": s.explanation,
    } for s in suggestions]


@dataclass
class Match:
    accepted_rank: int | None = None
    category_rank: int | None = None
    unit_rank: int | None = None
    co_matched: bool | None = None


def match(rows, category, lead_id, co_ids):
    """Where the chosen (category, lead unit, co units) stand among the suggestion rows.

    A suggestion is accepted when its category and its lead unit were dispatched. Categories are compared by id:
    the catalogue repeats names across its two trees (占道经营 is 90.09.09006 and 03.01.01, routed to other units),
    and the desk tells such namesakes apart, as auto-dispatch does. Rows logged before this counted a namesake as
    the same category (docs/dispatch-desk.md, "Accuracy").
    """
    found = Match()
    co_ids = set(co_ids)
    for row in rows:
        same_category = category is not None and row["category"]["id"] == category.id
        same_unit = row["lead"] is not None and row["lead"]["id"] == lead_id
        if same_category and found.category_rank is None:
            found.category_rank = row["rank"]
        if same_unit and found.unit_rank is None:
            found.unit_rank = row["rank"]
        if same_category and same_unit and found.accepted_rank is None:
            found.accepted_rank = row["rank"]
            found.co_matched = {u["id"] for u in row["co"]} == co_ids
    return found


# ── dispatch, logged ────────────────────────────────────────────────────────

def record(ticket, suggestions, user, source=SuggestionSource.DESK, at=None):
    """The DispatchSuggestion row for a ticket just dispatched (its category and active assignments)."""
    rows = suggestion_rows(suggestions)
    co_ids = list(ticket.assignments.filter(active=True, role=AssignmentRole.CO).values_list("unit_id", flat=True))
    found = match(rows, ticket.category, ticket.lead_unit_id, co_ids)
    return DispatchSuggestion.objects.create(
        ticket=ticket, suggested=rows, category=ticket.category, lead_unit_id=ticket.lead_unit_id,
        co_units=co_ids, accepted_rank=found.accepted_rank, category_rank=found.category_rank,
        unit_rank=found.unit_rank, co_matched=found.co_matched,
        model_version=(getattr(suggestions, "classifier", "") or "")[:80],
        confidence=rows[0]["confidence"] if rows else None, source=source,
        at=at or ticket.dispatched_at or timezone.now(), by=user if user and user.is_authenticated else None,
        district_id=ticket.district_id, street_id=ticket.street_id)


def dispatch_and_log(user, ticket, lead_unit_id, co_unit_ids=(), note="", category_code=None, *,
                     source=SuggestionSource.DESK, suggestions=None, payload=None, confirm_negative=False):
    """services.dispatch, and the DispatchSuggestion row, in one transaction. Returns (ticket, row).

    `suggestions`: what the dispatcher was shown, if the caller has it; else computed now
    (the same text, place and model give the same list). `payload`: more facts for the dispatch event
    (services.dispatch), `confirm_negative` its confirmation of a unit the negative list bars. Refusals are
    services.dispatch's.
    """
    if suggestions is None:
        suggestions = safe_suggestions(ticket)
    from jiesu.grids.services import open_grid_first_step

    with transaction.atomic():
        hint = emergency_of(ticket)  # dispatched although the prompt said transfer it: on the record
        ticket = tickets.dispatch(user, ticket, lead_unit_id, list(co_unit_ids), note, category_code,
                                  emergency=hint.number if hint else "", payload=payload,
                                  confirm_negative=confirm_negative)
        open_grid_first_step(user, ticket)
        row = record(ticket, suggestions, user, source)
    return ticket, row


@dataclass(frozen=True)
class Hold:
    """What holds a ticket back from being dispatched as suggested by one key (holds): `kind` "emergency" (its text
    reads as one: `emergency` is the line to transfer it to), "report", "confidential" or "accuses_unit"
    (accusation_of: it must not reach the unit it concerns), "merge" (proposed at intake for merging) or
    "same_caller" (the same caller's repeat flag) awaiting a person's decision, "near_duplicate" (an open ticket says
    almost the same: near_duplicate); `ticket`: the ticket proposed, that the caller reported or that says the same,
    `merged_into`: where that one was merged since (the merge would go there), if it was; `words`: the hold in the
    reader's language."""

    kind: str
    words: str
    ticket: str = ""
    merged_into: str = ""
    emergency: str = ""

    def as_dict(self):
        return {"kind": self.kind, "ticket": self.ticket or None, "merged_into": self.merged_into or None,
                "message": self.words}


def holds(ticket):
    """Why a ticket must not be dispatched as suggested by one key (Hold): its text reads as an emergency (that
    alone: the line to transfer it to comes first), else it is a report, confidential or accuses a unit
    (accusation_of), each merge proposal or same caller's repeat flag that awaits a person's decision, else an open
    ticket that says almost the same (near_duplicate: a merge awaiting a decision asks it already), as
    auto-dispatch leaves such tickets alone; [] when nothing holds it. A page of tickets: holds_of."""
    hint = emergency_of(ticket)
    if hint is not None:
        return _holds(ticket, hint, [], None)
    undecided = [p for p in proposals(ticket) if p.undecided]
    return _holds(ticket, None, undecided, None if undecided else near_duplicate(ticket))


def holds_of(tickets, user=None):
    """{ticket id: holds(ticket)} for many tickets (a page of the dispatch queue) in a few statements whatever
    their number: their proposals read at once, and the near duplicates of those the index scores near confirmed
    at once (near_duplicates_of). One statement per card made a warm queue page of 15 cost ~100."""
    tickets = list(tickets)
    hints = {t.pk: emergency_of(t) for t in tickets}
    rest = {t.pk: t for t in tickets if hints[t.pk] is None}
    mine = _proposals_of(rest) if rest else {}
    undecided = {pk: [p for p in mine[pk] if p.undecided] for pk in rest}
    alike = near_duplicates_of([t for t in rest.values() if not undecided[t.pk]], mine, user)
    return {t.pk: _holds(t, hints[t.pk], undecided.get(t.pk, []), alike.get(t.pk)) for t in tickets}


def _holds(ticket, hint, undecided, alike):
    """The Holds of a ticket from what was read: its emergency hint, its undecided proposals, its near duplicate."""
    from jiesu.dispatch.wording import emergency_words

    if hint is not None:
        return [Hold("emergency", _("It reads as an emergency: %(prompt)s.") % {"prompt": emergency_words(hint)},
                     emergency=hint.number)]
    accused = accusation_of(ticket)
    found = [Hold(accused.reason, accusation_words(accused))] if accused is not None else []
    found += [Hold("same_caller" if p.reason == "same_caller" else "merge", hold_words(p), p.target.number,
                   p.into.number if p.followed else "") for p in undecided]
    if alike is not None:
        found.append(Hold("near_duplicate", near_duplicate_words(alike), alike.ticket.number))
    return found


def accusation_words(accused):
    """Why a report, a confidential ticket or one accusing a unit is held, in the reader's language."""
    if accused.reason == "confidential":
        return _("the citizen asked for confidentiality: make sure it does not go to a unit it concerns")
    if accused.reason == "report" and not accused.words:
        return _("it is a report: make sure it does not go to the unit it reports on")
    if accused.reason == "report":
        return _("its text reads as a report (“%(words)s”): make sure it does not go to the unit it reports on") % {
            "words": accused.words}
    return _("its text accuses a unit or its staff (“%(words)s”): make sure it does not go to the unit accused") % {
        "words": accused.words}


#: The duplicates panel's score (0.6 × text + 0.3 × place + 0.1 × recency, duplicates.combined_score) from which an
#: open ticket counts as saying almost the same: the same words in the same street within a week (0.6 + 0.18 + ≥ 0.02),
#: in the same community or within 50 m within the index's month; never one only in the same district (at most 0.79)
#: or known to be elsewhere (0.73), nor one without a place unless recorded within the day with the same words.
#: docs/dispatch-desk.md: how many it holds on the demo city.
NEAR_DUPLICATE_SCORE = 0.8


def near_duplicate(ticket, user=None):
    """The open ticket most like this one on its duplicates panel (duplicates.ticket_duplicates: a Candidate) when
    it scores NEAR_DUPLICATE_SCORE or more, else None: a person merges the two, or dispatches this one if it is
    another matter (audit 11: one restaurant's smoke auto-dispatched three times to one street). One proposed for
    merging itself holds nothing: whoever decides that merge sees this ticket too. `user` reads the panel (the
    system user in an auto-dispatch pass); by default a dispatcher, who sees every ticket."""
    if not _index_scores_near(ticket):
        return None
    found = [c for c in ticket_duplicates(user or User(role=Role.DISPATCHER), ticket).similar if c.proposal is None]
    return found[0] if found and found[0].score >= NEAR_DUPLICATE_SCORE else None


def _index_scores_near(ticket, index=None):
    """Whether any other open ticket in the duplicates index scores NEAR_DUPLICATE_SCORE or more against this one,
    before the panel confirms it (open still, visible, not of its family, not proposed itself): one sparse product
    (< 1 ms) spares most tickets the panel's queries (~10 ms; 15 cards on a queue page). False while the index is
    being built, as the panel then finds nothing either. `index`: OPEN_INDEX.get() already had."""
    index = OPEN_INDEX.get() if index is None else index
    if index is None:
        return False
    with OPEN_INDEX.lock:
        best = index.search(f"{ticket.title} {ticket.text}", place_of_ticket(ticket), now=timezone.now().timestamp(),
                            limit=1, exclude=(ticket.pk,))
    return bool(best) and best[0].score >= NEAR_DUPLICATE_SCORE


#: The duplicates panel's length (duplicates.ticket_duplicates' `limit`): near_duplicates_of reads the same list.
PANEL_SIMILAR = 3


def near_duplicates_of(tickets, proposals_of, user=None):
    """{ticket id: near_duplicate(ticket)} of those of `tickets` that have one, read for all at once: each ticket's
    duplicates panel (duplicates.ticket_duplicates: its similar list, the tickets it is proposed into, split apart
    from or merged with left out) asked of the index, then the candidates confirmed open and visible, and marked
    when proposed themselves, in one pass. `proposals_of`: {ticket id: its Proposals} (duplicates._proposals_of)."""
    index = OPEN_INDEX.get()
    near = [t for t in tickets if t.is_open and _index_scores_near(t, index)] if index is not None else []
    if not near:
        return {}
    ids = [t.pk for t in near]
    split, family = _split_partners(ids), _merged_children(ids)
    stamp, matches = timezone.now().timestamp(), {}
    with OPEN_INDEX.lock:
        for t in near:
            shown = [p for p in proposals_of.get(t.pk, ()) if p.shown]
            exclude = ({t.pk, t.parent_id} | {u.pk for p in shown for u in (p.target, p.into)} | split[t.pk]
                       | family[t.pk]) - {None}
            matches[t.pk] = index.search(f"{t.title} {t.text}", place_of_ticket(t), now=stamp,
                                         limit=2 * PANEL_SIMILAR + 5, exclude=exclude)
    rows = _confirmed(user or User(role=Role.DISPATCHER), [m for found in matches.values() for m in found])
    candidates = {t.pk: confirmed_candidates(matches[t.pk], rows, 2 * PANEL_SIMILAR) for t in near}
    _mark_proposed([c for found in candidates.values() for c in found])
    alike = {}
    for t in near:
        incoming = [c for c in candidates[t.pk] if c.proposal is not None and c.proposal.into.pk == t.pk]
        free = [c for c in [c for c in candidates[t.pk] if c not in incoming][:PANEL_SIMILAR] if c.proposal is None]
        if free and free[0].score >= NEAR_DUPLICATE_SCORE:
            alike[t.pk] = free[0]
    return alike


def _split_partners(ids):
    """{id: the tickets it was split off from or that were split off from it} (duplicates.split_apart, for many)."""
    from jiesu.tickets.models import TicketEvent

    found = {pk: set() for pk in ids}
    for pk, payload in TicketEvent.objects.filter(ticket_id__in=ids, kind="split_off").values_list("ticket_id",
                                                                                                "payload"):
        if payload.get("child"):
            found[pk].add(payload["child"])
    for pk, child in TicketEvent.objects.filter(kind="split_off", payload__child__in=ids).values_list(
            "ticket_id", "payload__child"):
        if child in found:
            found[child].add(pk)
    return found


def _merged_children(ids):
    """{id: the ids of the tickets merged into it}."""
    found = {pk: set() for pk in ids}
    for pk, parent in Ticket.objects.filter(parent_id__in=ids).values_list("pk", "parent_id"):
        found[parent].add(pk)
    return found


def near_duplicate_words(candidate):
    """Why a ticket with a near_duplicate is held, in the reader's language: the ticket, its state, how alike."""
    from jiesu.dispatch.templatetags.desk import place_words

    return _("open ticket %(number)s (%(state)s) says almost the same (text %(text)s alike, %(place)s, score "
             "%(score)s): merge the two, or dispatch this one if it is another matter") % {
        "number": candidate.ticket.number, "state": candidate.ticket.get_state_display(),
        "text": candidate.match.text_pct, "place": place_words(candidate.match),
        "score": f"{candidate.match.score:.2f}"}


def accept_warning(ticket, found=None):
    """The holds of a ticket (holds(ticket), or `found`) as one sentence for the desk, in the reader's language;
    None when nothing holds it."""
    found = holds(ticket) if found is None else found
    if not found:
        return None
    if found[0].kind == "emergency":
        return found[0].words
    return capfirst(pgettext("between the holds of a ticket", "; ").join(h.words for h in found)
                    + pgettext("end of sentence", "."))


def hold_words(proposal):
    """Which undecided proposal holds a ticket back, naming the ticket proposed or that the caller reported (and
    where it was merged since, if it was), in the reader's language: 受理时建议合并到工单 20261206-0025424，尚未决定 /
    同一来电人 3 天内重复反映（工单 …），尚未决定. The days are those between the two calls, not until now."""
    number = proposal.target.number
    if proposal.reason != "same_caller":
        if proposal.followed:
            return _("proposed at intake for merging into ticket %(number)s (since merged into ticket %(into)s), "
                     "not yet decided") % {"number": number, "into": proposal.into.number}
        return _("proposed at intake for merging into ticket %(number)s, not yet decided") % {"number": number}
    if proposal.followed:
        number = pgettext("a ticket named in brackets", "%(number)s, since merged into ticket %(into)s") % {
            "number": number, "into": proposal.into.number}
    days = proposal.event.payload.get("days")
    if not isinstance(days, int):
        return _("the same caller reported this again (ticket %(number)s), not yet decided") % {"number": number}
    if days == 0:
        return _("the same caller reported this again the same day (ticket %(number)s), not yet decided") % {
            "number": number}
    return ngettext("the same caller reported this again within %(n)d day (ticket %(number)s), not yet decided",
                    "the same caller reported this again within %(n)d days (ticket %(number)s), not yet decided",
                    days) % {"n": days, "number": number}


def accept(user, ticket, rank, note="", *, expect_category="", expect_lead=None, confirm=False,
           source=SuggestionSource.API):
    """Dispatch suggestion #rank as suggested (category, lead unit, co units). Returns (ticket, row).

    `expect_category` / `expect_lead` (code / id or code), when given, must still be that suggestion's:
    a client that showed the list earlier learns (409) that it has changed instead of
    dispatching something it never showed. A ticket with an accept_warning is dispatched only with `confirm`:
    the dispatcher has read the warning and dispatches anyway. Through the API, so is a suggestion one key would
    not dispatch on the desk (one_key_may_dispatch: 409 UnderOneKeyFloor); a click on the desk's button does.
    """
    suggestions = safe_suggestions(ticket)
    try:
        rank = int(rank)
    except (TypeError, ValueError):
        raise DomainError(_("Choose one of the suggestions (1–%(n)s).") % {"n": len(suggestions)},
                          field="rank") from None
    if not 1 <= rank <= len(suggestions):
        raise DomainError(_("There is no suggestion #%(n)s for this ticket.") % {"n": rank}, field="rank")
    chosen = suggestions[rank - 1]
    if ((expect_category and expect_category != chosen.category.code)
            or (expect_lead and not is_lead_shown(chosen, expect_lead))):
        raise Conflict(_("The suggestions for this ticket have changed; look at them again."))
    if not dispatchable(chosen):  # before asking to confirm what could not be dispatched anyway
        raise DomainError(_("Suggestion #%(n)s names no handling unit (the place is unknown): choose the unit "
                            "by hand.") % {"n": rank}, field="rank")
    if (source == SuggestionSource.API and not confirm
            and not one_key_may_dispatch(chosen, suggestions.cold_start)):
        raise UnderOneKeyFloor(rank, chosen, accept_warning(ticket))
    if not confirm and (warning := accept_warning(ticket)) is not None:
        raise DomainError(_confirm_first(source) % {"warning": warning}, field="confirm")
    return dispatch_and_log(user, ticket, chosen.lead.id, [u.id for u in chosen.co], note, chosen.category.code,
                            source=source, suggestions=suggestions)


def is_lead_shown(suggestion, expected):
    """Whether `expected` names the suggestion's lead unit: its id (as the desk's form posts it) or its code (the
    API's suggestions give both)."""
    lead = suggestion.lead
    return lead is not None and str(expected).strip() in (str(lead.id), lead.code)


class UnderOneKeyFloor(Conflict):
    """The API's accept of a suggestion shown under ONE_KEY_FLOOR_PERCENT, not confirmed (409 `below_floor`, field
    `confirm`): the desk's Enter does not dispatch it either. The message names the ticket's holds too, if it has
    any, as the one "confirm" answers both."""

    def __init__(self, rank, suggestion, warning=None):
        guess = _("Suggestion #%(n)s is shown at %(percent)s, under %(floor)s: the model is guessing.") % {
            "n": rank, "percent": shown_percent(suggestion), "floor": f"{ONE_KEY_FLOOR_PERCENT}%"}
        if warning is not None:
            guess = pgettext("two sentences one after the other", "%(first)s %(second)s") % {
                "first": guess, "second": warning}
        super().__init__(_confirm_first(SuggestionSource.API) % {"warning": guess}, field="confirm")
        self.code = "below_floor"


def _confirm_first(source):
    """The refusal of a held ticket dispatched without confirming, worded for where the request came from: the
    desk's form has a box to tick, an API client sends "confirm": true."""
    if source == SuggestionSource.API:
        return _('%(warning)s Check it, then send "confirm": true to dispatch it as suggested.')
    return _("%(warning)s Dispatch it as suggested only after confirming that you have checked it, or use the "
             "dispatch form.")


# ── auto-dispatch ───────────────────────────────────────────────────────────

SYSTEM_NAME = "系统"


def system_user():
    """The `system` user that auto-dispatches and flags repeats nobody saw at intake: a dispatcher of the
    hotline centre, made when missing, named 系统 (it did more than dispatch: 系统自动派单 on a repeat flag read
    as if something had been dispatched).

    It cannot log in (no usable password). An existing `system` user is used as it is, but for that old name.
    """
    from jiesu.accounts.models import Role, User
    from jiesu.units.models import Unit

    user = User.objects.filter(username=SYSTEM_USERNAME).select_related("unit").first()
    if user is not None:
        if user.display_name == "系统自动派单":
            User.objects.filter(pk=user.pk).update(display_name=SYSTEM_NAME)
            user.display_name = SYSTEM_NAME
        return user
    hotline = Unit.objects.filter(kind=UnitKind.HOTLINE_CENTER, active=True).order_by("id").first()
    user = User(username=SYSTEM_USERNAME, role=Role.DISPATCHER, unit=hotline, display_name=SYSTEM_NAME)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # made by another process meanwhile
        user = User.objects.get(username=SYSTEM_USERNAME)
    return user


def rules_by_category():
    return {r.category_id: r for r in AutoDispatchRule.objects.all()}


def rule_for(category, rules):
    """The most specific rule on the category or an ancestor (enabled or not), or None."""
    node, seen = category, 0
    while node is not None and seen < 10:
        rule = rules.get(node.id)
        if rule is not None:
            return rule
        node = getattr(node, "parent", None) if node.parent_id else None
        seen += 1
    return None


def auto_candidates(now):
    """New tickets never dispatched before (not re-queued after a return, not reopened, not split off)."""
    ever_assigned = Exists(Assignment.objects.filter(ticket=OuterRef("pk")))
    return (Ticket.objects.filter(state=State.NEW, parent__isnull=True, rehandle_round=0, return_count=0,
                                  created_at__lte=now)
            .exclude(ever_assigned).order_by("created_at", "id"))


@dataclass
class AutoReport:
    checked: int = 0
    dispatched: int = 0
    no_rule: int = 0            # no enabled rule for the top suggestion's category
    below_threshold: int = 0
    category_differs: int = 0   # the call-taker chose another category: a person decides
    no_unit: int = 0            # the top suggestion names no handling unit (place unknown)
    emergency: int = 0          # the text reads as an emergency: a person transfers it to 110/119/120/122
    report: int = 0             # typed a report (举报), or its text says 举报/检举/揭发: never sent to the unit reported on
    confidential: int = 0       # the citizen asked for confidentiality (保密)
    accuses_unit: int = 0       # its text accuses a unit or its staff (受贿, 城管…打人), or the unit it would go to
    duplicate: int = 0          # proposed as a duplicate or flagged as a repeat: a person merges or closes it
    near_duplicate: int = 0     # an open ticket says almost the same (near_duplicate): a person merges or dispatches it
    refused: int = 0            # services.dispatch said no (someone dispatched it meanwhile…)
    cold_start: bool = False    # the engine runs on the cold-start model: its percentages rank, nothing is dispatched
    tickets: list = field(default_factory=list)  # ids dispatched

    def as_dict(self):
        return {k: v for k, v in self.__dict__.items() if k != "tickets"} | {"tickets": list(self.tickets)}


def auto_dispatch_new_tickets(now=None, batch=200):
    """Dispatch new tickets whose top suggestion's confidence reaches its category's enabled threshold.

    As the `system` user, logged with source "auto". A ticket whose category was chosen at
    intake is only auto-dispatched when the top suggestion has that category; one whose text
    reads as an emergency (a gas leak, a fire…) never is: a person transfers it to the line; nor a report (举报), a
    confidential one (保密) or one whose text accuses a unit (accusation_of): a person makes sure it does not reach
    the unit it concerns; nor one proposed as a duplicate or flagged as a repeat: a person merges or closes it; nor
    one that an open ticket says almost the same as (near_duplicate): a person merges the two or dispatches it.
    Does nothing (and computes nothing) while no rule is enabled, nor while the engine runs on the cold-start
    model, whose percentages only rank (`cold_start` in the report). Returns an AutoReport.
    """
    now = now or timezone.now()
    report = AutoReport()
    rules = rules_by_category()
    if not any(r.enabled for r in rules.values()):
        return report
    if _on_the_cold_start():
        report.cold_start = True
        return report
    user = system_user()
    ids = list(auto_candidates(now).values_list("pk", flat=True))
    for start in range(0, len(ids), batch):
        chunk = list(Ticket.objects.filter(pk__in=ids[start:start + batch], state=State.NEW)
                     .select_related("category", "district", "street", "community").order_by("created_at", "id"))
        undecided = awaiting_decision(chunk)  # a proposal whose merge can no longer be carried out holds nothing
        for ticket in chunk:
            ticket.proposed = ticket.pk in undecided
            report.checked += 1
            _auto_one(user, ticket, rules, report)
    return report


def _on_the_cold_start():
    """Whether the engine's classifier is the cold start's (or cannot be had: then nothing is dispatched either)."""
    try:
        return engine.is_cold_start(engine.default_classifier())
    except Exception:  # noqa: BLE001 — as safe_suggestions: the desk goes on without suggestions
        log.exception("auto-dispatch: no classifier")
        return True


def _auto_one(user, ticket, rules, report):
    if emergency_of(ticket) is not None:  # the desk prompts the line (duplicates_ticket.html)
        report.emergency += 1
        return
    if _held_for_accusation(report, accusation_of(ticket)):
        return
    if ticket.proposed:  # the desk offers the merge (duplicates.proposals)
        report.duplicate += 1
        return
    suggestions = safe_suggestions(ticket)
    if not suggestions:
        report.no_rule += 1
        return
    top = suggestions[0]
    rule = rule_for(top.category, rules)
    if rule is None or not rule.enabled:
        report.no_rule += 1
        return
    if top.confidence < max(rule.threshold, AUTO_THRESHOLD_MIN):  # a rule saved before the floor was set
        report.below_threshold += 1
        return
    if ticket.category_id and ticket.category_id != top.category.id:
        # by id, not by name: the catalogue repeats names across its trees (占道经营 03.01.01 and 90.09.09006, with
        # other duties), and a category the call-taker chose is never swapped for another tree's by the machine
        report.category_differs += 1
        return
    if not dispatchable(top):
        report.no_unit += 1
        return
    if _held_for_accusation(report, accusation_of(ticket, top)):  # the unit it would go to, named as the doer
        return
    if near_duplicate(ticket, user) is not None:  # asked last: it costs milliseconds, and only a dispatch needs it
        report.near_duplicate += 1
        return
    facts = auto_note_facts(top, rule.threshold)
    try:
        ticket, _row = dispatch_and_log(user, ticket, top.lead.id, [u.id for u in top.co], auto_note(facts),
                                        top.category.code, source=SuggestionSource.AUTO, suggestions=suggestions,
                                        payload={"auto": facts})
    except DomainError as exc:
        report.refused += 1
        log.info("auto-dispatch: ticket %s not dispatched: %s", ticket.pk, exc)
        return
    report.dispatched += 1
    report.tickets.append(ticket.pk)


def _held_for_accusation(report, accused):
    """Count a ticket left to a person for its accusation_of under its reason; whether it was."""
    if accused is None:
        return False
    setattr(report, accused.reason, getattr(report, accused.reason) + 1)
    return True


def auto_note_facts(top, threshold):
    """What an auto-dispatch's event says, as facts (its payload's "auto"): the pages word them in the reader's
    language (jiesu.core.templatetags.jiesu_ui.event_note)."""
    return {"rank": top.rank, "category": top.category.name, "category_code": top.category.code,
            "lead": top.lead.name, "confidence": round(float(top.confidence), 4), "threshold": float(threshold)}


def auto_note(facts):
    """The note stored with an auto-dispatch, in the platform's language (Chinese, as ever: the API and exports
    read it): 系统自动派单：建议 #1「占道经营」→ 东华门街道，置信度 89% ≥ 阈值 80%."""
    from jiesu.dispatch.wording import auto_dispatch_note, in_platform_language

    return in_platform_language(auto_dispatch_note, facts)


# ── retraining runs ─────────────────────────────────────────────────────────

RETRAIN_NEVER_STARTED = timedelta(minutes=10)  # a run without a process this long after it was made never began


def retrain_running():
    """The retraining under way, or None."""
    return RetrainRun.objects.filter(state=RetrainState.RUNNING).first()


def model_file_key(path):
    """A model file as one string, however it was named: .npz added as the trainer adds it, made absolute (from
    the current directory, as the command and the engine open it). "" for none."""
    from jiesu.dispatch.training import model_path as as_saved

    if not path:
        return ""
    return os.path.normpath(os.path.abspath(as_saved(path)))


def start_retrain_run(trigger, model_path, *, now=None, pid=None):
    """Record a retraining of `model_path` as running (stored as model_file_key: the runs of the desk's model
    are told from those of other files by it). Raises Conflict while another runs, whatever its file: one
    training at a time on the machine (it takes gigabytes, its rows chosen from the memory free when it starts),
    and never two writing the same file."""
    now = now or timezone.now()
    for attempt in range(2):
        try:
            with transaction.atomic():
                return RetrainRun.objects.create(started_at=now, trigger=trigger,
                                                 model_path=model_file_key(model_path) or str(model_path),
                                                 host=socket.gethostname(), pid=pid)
        except IntegrityError:
            if attempt or not abandon_lost_retrain_runs(now):  # a run whose process died blocks nobody
                break
    busy = retrain_running()
    figures = {"id": busy.pk if busy else "?", "path": busy.model_path if busy else "?",
               "at": timezone.localtime(busy.started_at).strftime("%Y-%m-%d %H:%M") if busy else "?"}
    if busy is not None and not is_desk_model(busy.model_path):
        raise Conflict(_("Retraining #%(id)s of %(path)s (not the desk's model) is already running (started "
                         "%(at)s); wait for it to finish.") % figures)
    raise Conflict(_("Retraining #%(id)s is already running (started %(at)s); wait for it to finish.") % figures)


def claim_retrain_run(run_id):
    """The run the worker made for this process to carry out; DomainError unless it is still running."""
    run = RetrainRun.objects.filter(pk=run_id).first()
    if run is None:
        raise DomainError(_("There is no retraining #%(id)s.") % {"id": run_id}, field="run")
    if run.state != RetrainState.RUNNING:
        raise Conflict(_("Retraining #%(id)s is no longer waiting to run (%(state)s).")
                       % {"id": run_id, "state": run.get_state_display()}, field="run")
    return run


def finish_retrain_run(run, state, reason="", result=None, now=None):
    """Store how a run ended. A late result overwrites 'lost': what happened to the model file is what counts."""
    if not connection.in_atomic_block:
        close_old_connections()  # training may take long enough for the connection to have gone stale
    RetrainRun.objects.filter(pk=run.pk).update(state=state, finished_at=now or timezone.now(), reason=reason,
                                               result=result or {})


def process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def lost_reason(run, now, timeout):
    """Why a running run is to be marked lost, as (reason, details for the page), or None while it may still be
    at work."""
    if now - run.started_at > timeout:
        hours = round(timeout.total_seconds() / 3600, 1)
        return f"no result after {hours:g} hours", {"lost": "timeout", "hours": hours}
    if run.host != socket.gethostname():
        return None  # another machine's process: only the timeout can tell
    if run.pid is None:
        if now - run.started_at > RETRAIN_NEVER_STARTED:
            return "the process was never started", {"lost": "never_started"}
        return None
    if not process_alive(run.pid):
        return (f"the process (pid {run.pid}) ended without a result (killed? out of memory? see the log)",
                {"lost": "ended", "pid": run.pid})
    return None


def retrain_timeout():
    """How long a retraining may run before it counts as lost (DISPATCH_RETRAIN_TIMEOUT_HOURS, 12)."""
    from django.conf import settings

    return timedelta(hours=settings.JIESU.get("DISPATCH_RETRAIN_TIMEOUT_HOURS", 12))


def abandon_lost_retrain_runs(now=None, timeout=None):
    """Mark lost the running runs whose process is gone or that have taken longer than `timeout` (by default
    retrain_timeout()). The worker looks each pass; so do a new run's start and the accuracy page, so that a
    run killed while no worker runs neither blocks the next one nor shows as running."""
    now, timeout = now or timezone.now(), timeout or retrain_timeout()
    lost = 0
    for run in RetrainRun.objects.filter(state=RetrainState.RUNNING):
        found = lost_reason(run, now, timeout)
        if found:
            reason, details = found
            lost += RetrainRun.objects.filter(pk=run.pk, state=RetrainState.RUNNING).update(
                state=RetrainState.LOST, finished_at=now, reason=reason, result=details)
    return lost


def is_desk_model(path):
    """Whether `path` names the desk's model file (training.configured_model())."""
    from jiesu.dispatch.training import configured_model

    desk_model = configured_model()
    return desk_model is not None and model_file_key(path) == model_file_key(desk_model)


def desk_retrain_runs():
    """The runs of the desk's model file (training.configured_model()), however their path was written: a
    `jiesu dispatch retrain --model other.npz` (a scratch file, a test) is not the desk's, and neither shows on
    the accuracy page nor moves the worker's schedule. None while no model file is named (the cold start only)."""
    paths = [p for p in RetrainRun.objects.values_list("model_path", flat=True).distinct() if is_desk_model(p)]
    return RetrainRun.objects.filter(model_path__in=paths)


#: A rollback refused (no previous model, or one that cannot be read): it changed nothing, so it is neither a
#: failed retraining nor a run the week counts from (RetrainRun.rollback_refused).
ROLLBACK_REFUSED = Q(state=RetrainState.FAILED, result__refused__in=["no_previous", "unreadable_previous"])


def _desk_changes():
    """desk_retrain_runs() but refused rollbacks (a filter, not an exclude on the JSON key: a run without the key
    would be excluded too, as SQL's NOT of NULL)."""
    return desk_retrain_runs().exclude(pk__in=RetrainRun.objects.filter(ROLLBACK_REFUSED).values("pk"))


def latest_retrain_start():
    """When the latest run of the desk's model (scheduled, by command, a rollback; not a refused rollback) began,
    or None: the week counts from it."""
    return _desk_changes().order_by("-started_at").values_list("started_at", flat=True).first()


def last_first_model_try():
    """When the latest run of the desk's model began, if it left no model in place; None after one that did.
    A first model is tried again a day after a try that could not make one (too few tickets yet), but at once
    when the model a run put in place was lost since (its file damaged or gone)."""
    latest = _desk_changes().order_by("-started_at").values_list("started_at", "state").first()
    if latest is None or latest[1] in (RetrainState.REPLACED, RetrainState.ROLLED_BACK):
        return None
    return latest[0]


def retrains_failed_in_a_row():
    """How many of the latest runs of the desk's model in a row failed or were lost (schedule.py retries them the
    next night), up to one more than schedule.RETRIES. A refused rollback is no retraining: left out."""
    from jiesu.dispatch.schedule import RETRIES

    states = _desk_changes().order_by("-started_at").values_list("state", flat=True)[:RETRIES + 1]
    failed = 0
    for state in states:
        if state not in (RetrainState.FAILED, RetrainState.LOST):
            break
        failed += 1
    return failed


def last_retrain_runs(limit=5):
    """The latest runs of the desk's model, for the accuracy page."""
    return list(desk_retrain_runs().select_related("asked_by")[:limit])


def other_retrain_runs():
    """How many runs were of other model files than the desk's (the back office lists them)."""
    return RetrainRun.objects.exclude(pk__in=desk_retrain_runs().values("pk")).count()


@dataclass(frozen=True)
class RetrainSchedule:
    days: int
    start_hour: int
    end_hour: int       # excluded; equal to start_hour: any hour
    next_at: datetime   # when it is next due
    first: bool = False  # no model file yet, or one that cannot be read: the first is due at any hour (schedule.py)
    failed: int = 0      # the latest runs that failed or were lost in a row: retried the next night
    retries: int = 0     # schedule.RETRIES
    unreadable: bool = False  # the model file is there but cannot be read (training.unreadable_model_error)


def retrain_schedule(now=None):
    """The worker's retraining schedule from the settings; None when it does not retrain (no model file named,
    or DISPATCH_RETRAIN_DAYS 0)."""
    from django.conf import settings

    from jiesu.dispatch.schedule import RETRIES, next_retrain_at
    from jiesu.dispatch.training import configured_model, unreadable_model_error

    conf, model_file = settings.JIESU, configured_model()
    if model_file is None or not conf.get("DISPATCH_RETRAIN_DAYS"):
        return None
    unreadable = unreadable_model_error(model_file) is not None
    hours, first = conf.get("DISPATCH_RETRAIN_HOURS", (2, 6)), unreadable or not model_file.exists()
    failed = 0 if first else retrains_failed_in_a_row()
    last = last_first_model_try() if first else latest_retrain_start()
    next_at = next_retrain_at(now or timezone.now(), last, conf["DISPATCH_RETRAIN_DAYS"], hours, first=first,
                              failed=failed)
    return RetrainSchedule(conf["DISPATCH_RETRAIN_DAYS"], hours[0], hours[1], next_at, first, failed, RETRIES,
                           unreadable)
