"""The ticket's way (DESIGN.md §3) as a transition table. Pure: no Django.

Each action names the states it may start from, the state it leads to
(None: the state does not change), the roles that may take it, and — for
handling units — which relation to the ticket the user's unit must have
(`lead`: the active lead assignment; `co`: an active co assignment;
`assigned`: either). The relation binds handling units only.
"""
from dataclasses import dataclass

NEW, ANSWERED, DISPATCHED, SIGNED, CONTACTED = "new", "answered", "dispatched", "signed", "contacted"
RETURNED, REPLIED, CLOSED, MERGED = "returned", "replied", "closed", "merged"
OPEN = (NEW, DISPATCHED, SIGNED, CONTACTED, RETURNED)
HANDLING = (DISPATCHED, SIGNED, CONTACTED)

HOTLINE = ("call_taker", "dispatcher", "callback_agent")
HANDLERS = ("unit_staff", "grid_worker")


@dataclass(frozen=True)
class Action:
    name: str
    sources: tuple
    target: str | None
    roles: tuple
    relation: str | None = None  # "lead" / "co" / "assigned": what the handling unit must hold

    def leads_to(self, state):
        return self.target or state


ACTIONS = {a.name: a for a in [
    Action("close_special", (NEW,), CLOSED, ("call_taker", "dispatcher")),
    Action("answer", (NEW,), ANSWERED, ("call_taker", "dispatcher")),
    Action("dispatch", (NEW,), DISPATCHED, ("dispatcher",)),
    Action("sign", (DISPATCHED,), SIGNED, HANDLERS, "lead"),
    Action("co_sign", HANDLING, None, HANDLERS, "co"),
    Action("contact", (SIGNED,), CONTACTED, HANDLERS, "lead"),
    Action("reply", (CONTACTED,), REPLIED, HANDLERS, "lead"),
    Action("co_reply", HANDLING, None, HANDLERS, "co"),
    Action("return", (DISPATCHED, SIGNED), RETURNED, HANDLERS, "lead"),
    Action("arbitrate", (RETURNED,), None, ("dispatcher",)),
    Action("request_extension", (SIGNED, CONTACTED), None, HANDLERS, "lead"),
    Action("decide_extension", HANDLING, None, ("dispatcher", "supervisor")),
    Action("supervise", HANDLING + (RETURNED,), None, ("supervisor", "dispatcher")),
    Action("remind", HANDLING, None, ("supervisor", "dispatcher", "call_taker")),
    Action("callback", (REPLIED, ANSWERED), None, ("callback_agent",)),
    # 网上评价: the citizen answers the callback's questions on the web (services.rate), as the callback leads on
    Action("rate", (REPLIED, ANSWERED), None, ("citizen",)),
    Action("merge", (NEW, DISPATCHED, SIGNED, CONTACTED), MERGED, ("dispatcher",)),
    Action("reopen", (CLOSED,), NEW, ("dispatcher", "supervisor")),
    # 更正类别 after dispatch (a returned ticket's is corrected in its arbitration); a unit may not
    Action("recategorize", HANDLING + (REPLIED, CLOSED), None, ("dispatcher", "supervisor")),
    # 撤销合并: a merged request, also one given its parent's reply, until its citizen is called back (then closed)
    Action("unmerge", (MERGED, REPLIED, ANSWERED), NEW, ("dispatcher", "supervisor")),
    Action("attach", OPEN + (REPLIED, ANSWERED), None, HOTLINE + HANDLERS + ("citizen",), "assigned"),
]}

# Where each callback outcome leads (the callback action's target depends on it).
CALLBACK_CLOSES = CLOSED
CALLBACK_REHANDLES = DISPATCHED
# An anonymous request has nobody to call back: its reply (or direct answer) closes it at once, so it never waits
# in the callback queue for three pretend attempts (audit 11, finding 20).
ANONYMOUS_REPLY_CLOSES = CLOSED


def awaits_callback(anonymous):
    """Whether a replied or answered ticket waits for a callback (else the reply closes it)."""
    return not anonymous

STATE_LABELS_ZH = {
    NEW: "待派单", ANSWERED: "已直接答复", DISPATCHED: "已派单", SIGNED: "已签收", CONTACTED: "已联系",
    RETURNED: "退单审核中", REPLIED: "已反馈待回访", CLOSED: "已办结", MERGED: "已合并",
}


def relation_fits(required, relation):
    """`assigned`: any active lead or co assignment; otherwise exactly the named one."""
    return relation in ("lead", "co") if required == "assigned" else relation == required


def refusal(action_name, state, role, relation):
    """Why `role` (with `relation` to the ticket) may not take the action now; None if it may."""
    action = ACTIONS[action_name]
    if role not in action.roles and role != "admin":
        return "role"
    if action.relation and role in HANDLERS and not relation_fits(action.relation, relation):
        return "relation"
    if state not in action.sources:
        return "state"
    return None


def allowed(action_name, state, role, relation=None):
    return refusal(action_name, state, role, relation) is None


def available_actions(state, role, relation=None):
    """The actions a user may take now, in table order."""
    return [name for name in ACTIONS if allowed(name, state, role, relation)]


def rehandle_or_close(resolved, satisfied, round_, max_rounds):
    """After a reached callback: 'close', 'rehandle' or 'close_limit'."""
    unhappy = resolved == "unresolved" or satisfied == "dissatisfied"
    if not unhappy:
        return "close"
    return "rehandle" if round_ < max_rounds else "close_limit"
