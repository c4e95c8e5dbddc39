"""The whistle's rules as plain Python (no Django): states, the approval chain,
report and task deadlines, late/missing check-ins, the rating roll-up and the
over-summoning share. jiesu.whistles.services calls these; tests test them plainly.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

# ── states ──────────────────────────────────────────────────────────────────

APPROVAL, REFUSED, ACTIVE, CLOSED, CANCELLED = "approval", "refused", "active", "closed", "cancelled"
OPEN_STATES = (APPROVAL, ACTIVE)

# action → states it may start from
ACTION_SOURCES = {
    "approve": (APPROVAL,),
    "review": (ACTIVE, CLOSED),
    "summon": (APPROVAL, ACTIVE),
    "check_in": (ACTIVE,),
    "object": (ACTIVE,),
    "decide_objection": (ACTIVE,),
    "withdraw": (APPROVAL, ACTIVE),
    "add_task": (ACTIVE,),
    "progress": (ACTIVE,),
    "accept_task": (ACTIVE,),
    "close": (ACTIVE,),
    "cancel": (APPROVAL, ACTIVE),
    "attach": (APPROVAL, ACTIVE),
    "supervise": (ACTIVE,),
    "report_to_district": (ACTIVE, CLOSED),
    "raise_to_district": (ACTIVE,),
    "set_due": (ACTIVE,),
    "rate": (CLOSED,),
}


def may(action, state):
    return state in ACTION_SOURCES[action]


# ── approval chain (科室申请 → 分管副职签字 → 主要负责人批准) ──────────────────

@dataclass(frozen=True)
class ChainState:
    done: int           # steps signed so far
    total: int
    refused: bool = False

    @property
    def approved(self):
        return not self.refused and self.done >= self.total

    @property
    def next_index(self):
        """Index of the step waiting for a signature, or None when decided."""
        if self.refused or self.approved:
            return None
        return self.done


def chain_state(chain, decisions):
    """The approval's state from the chain's step names and the decisions so far.

    `decisions` is the ordered list of (approved: bool, signer) already taken. A
    refusal at any step ends the chain; every step must be signed by a different
    person (a step cannot be skipped by signing twice).
    """
    done = 0
    for approved, _signer in decisions:
        if not approved:
            return ChainState(done, len(chain), refused=True)
        done += 1
    return ChainState(min(done, len(chain)), len(chain))


POSITION_RANK = {"": 0, "staff": 1, "section_chief": 2, "deputy": 3, "head": 4}


def step_position(positions, index):
    """The lowest position that may sign step `index` ("" = any colleague)."""
    return (positions[index] or "") if index is not None and index < len(positions or ()) else ""


def chain_positions(chain, positions):
    """The position each step of `chain` needs ("" = any colleague), one per step."""
    return [step_position(positions, i) for i in range(len(chain))]


def holds_position(required, held):
    """A higher post may sign for a lower one (the head may sign the deputy's step), not the reverse."""
    return POSITION_RANK.get(held or "", 0) >= POSITION_RANK.get(required or "", 0)


def review_position(chain, positions):
    """The post that reviews a 快速 whistle afterwards: the highest one the level's chain needs ("" = any)."""
    return max(chain_positions(chain, positions), key=lambda p: POSITION_RANK.get(p, 0), default="")


def approval_refusal(chain, decisions, signer, raiser, positions=(), held=""):
    """Why `signer` (holding the position `held`) may not sign the next step now (a code), or None."""
    state = chain_state(chain, decisions)
    if state.next_index is None:
        return "decided"
    if signer == raiser and state.next_index > 0:
        return "raiser"  # the applicant fills the first step (科室申请) at most
    if any(s == signer for _ok, s in decisions):
        return "same_signer"
    if not holds_position(step_position(positions, state.next_index), held):
        return "position"
    return None


def summons_score(has_duty, whistles_solved, tickets_solved):
    """Rank of a unit to summon: a duty on the matter first (10), then similar whistles whose tasks it
    completed (2 each, up to 10) and similar tickets it closed to the citizen's satisfaction (¼ each, up to 20).
    Capped, so history alone never outranks a duty."""
    return round((10 if has_duty else 0) + 2 * min(whistles_solved, 10) + min(tickets_solved, 20) / 4, 2)


def needs_approval(level_needs_approval, mode):
    """快速 whistles skip approval and are reviewed afterwards."""
    return bool(level_needs_approval) and mode != "quick"


# ── deadlines ───────────────────────────────────────────────────────────────

QUICK_REPORT_MINUTES = 30


def report_limit(mode, level_amount, level_unit, quick_minutes=QUICK_REPORT_MINUTES):
    """(amount, unit) of the report (报到) limit: 30 clock minutes on site for 快速, else the level's."""
    if mode == "quick":
        return quick_minutes / 60, "clock_hours"
    return level_amount, level_unit


def checkin_status(due, checked_in_at, now, objection_pending=False, released=False, ended_at=None):
    """'released', 'on_time', 'late' (checked in after the deadline), 'missing' (deadline passed, no
    check-in), 'objected' (an objection awaits the street's decision) or 'waiting'.

    `ended_at`: when the whistle was closed or cancelled; a deadline after it was never missed (the
    status is read as of that moment)."""
    if ended_at is not None and ended_at < now:
        now = ended_at
    if released:
        return "released"
    if checked_in_at is not None:
        return "late" if due is not None and checked_in_at > due else "on_time"
    if objection_pending:
        return "objected"
    if due is not None and now > due:
        return "missing"
    return "waiting"


PROPOSE_RAISE_AFTER_DAYS = 2   # a unit missing, or a task overdue, this long: the page proposes 提级


def raise_proposed(overdue_since, now, days=PROPOSE_RAISE_AFTER_DAYS):
    """Whether to propose raising the whistle to the district (提级): some deadline (a report a unit missed, a
    task left open) passed `days` days ago or more. `overdue_since`: the deadlines that passed unmet."""
    return any(now - due >= timedelta(days=days) for due in overdue_since)


def task_status(due, state, done_at, now):
    """'accepted', 'done_late', 'awaiting' (reported done, not yet accepted), 'overdue' or 'open'."""
    if state == "accepted":
        return "done_late" if due and done_at and done_at > due else "accepted"
    if state == "done":
        return "awaiting"
    if due is not None and now > due:
        return "overdue"
    return "open"


def close_refusal(task_states):
    """Why the whistle may not close (事不完、人不撤), or None: every task must be accepted."""
    if not task_states:
        return "no_tasks"
    if any(s != "accepted" for s in task_states):
        return "open_tasks"
    return None


# ── evaluation ──────────────────────────────────────────────────────────────

CRITERIA = ("timeliness", "effort", "result")
STREET_WEIGHT = 0.7      # the street rates the departments it summoned…
DISTRICT_WEIGHT = 0.3    # …and the district rates both sides (Art.16, 33)


def summoned_by_district(summoned_at, raised_at):
    """A unit summoned after 提级 was summoned by the district (only the district summons from then on): the district
    gives it the summoner's rating (the "street" side), the street does not."""
    return bool(raised_at and summoned_at and summoned_at > raised_at)


def valid_score(value):
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if 1 <= value <= 5 else None


def rating_score(timeliness, effort, result):
    """One rating: the mean of its three criteria (1–5)."""
    return round((timeliness + effort + result) / 3, 2)


@dataclass
class Rollup:
    unit: object
    month: str
    count: int
    street_count: int
    district_count: int
    timeliness: float | None
    effort: float | None
    result: float | None
    street_score: float | None
    district_score: float | None
    score: float | None


def _mean(values):
    values = list(values)
    return round(sum(values) / len(values), 2) if values else None


def rollup(ratings):
    """Roll ratings up per (unit, month).

    `ratings`: iterables of dicts with unit, month ('2026-11'), by ('street' | 'district'),
    timeliness, effort, result. A unit's month score is the weighted mean of its street
    score and its district score (0.7 / 0.3); with only one side, that side's score.
    Returns a list of Rollup, sorted by month then unit.
    """
    groups = {}
    for r in ratings:
        groups.setdefault((r["unit"], r["month"]), []).append(r)
    out = []
    for (unit, month), rows in groups.items():
        street = [rating_score(r["timeliness"], r["effort"], r["result"]) for r in rows if r["by"] == "street"]
        district = [rating_score(r["timeliness"], r["effort"], r["result"]) for r in rows if r["by"] == "district"]
        s, d = _mean(street), _mean(district)
        if s is not None and d is not None:
            score = round(s * STREET_WEIGHT + d * DISTRICT_WEIGHT, 2)
        else:
            score = s if s is not None else d
        out.append(Rollup(unit, month, len(rows), len(street), len(district),
                          _mean(r["timeliness"] for r in rows), _mean(r["effort"] for r in rows),
                          _mean(r["result"] for r in rows), s, d, score))
    out.sort(key=lambda x: (x.month, str(x.unit)))
    return out


# ── statistics ──────────────────────────────────────────────────────────────

def over_summoning_share(summons):
    """Share of summoned units that got no task (over-summoning, 过度吹哨).

    `summons`: iterable of (unit, had_task: bool) for closed whistles; released units
    (objection upheld) count as summoned without a task. None when there are none.
    """
    summons = list(summons)
    if not summons:
        return None
    return round(sum(1 for _u, had in summons if not had) / len(summons), 4)


def on_time_rate(statuses):
    """Report on-time rate: on-time check-ins over check-ins that were due (late and missing count against)."""
    counted = [s for s in statuses if s in ("on_time", "late", "missing")]
    if not counted:
        return None
    return round(sum(1 for s in counted if s == "on_time") / len(counted), 4)


def month_of(moment: datetime):
    return f"{moment:%Y-%m}"


def mean_duration(pairs):
    """Mean of (end - start) over pairs, as a timedelta (None when empty)."""
    seconds = [(end - start).total_seconds() for start, end in pairs if start and end]
    if not seconds:
        return None
    return timedelta(seconds=sum(seconds) / len(seconds))
