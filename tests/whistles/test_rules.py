"""The whistle's pure rules: approval chain, deadlines, late check-ins, roll-up, over-summoning."""
from datetime import datetime, timedelta

from jiesu.whistles import rules

CHAIN = ["科室申请", "分管副职签字", "主要负责人批准"]
T0 = datetime(2026, 11, 20, 9, 0)


def test_chain_runs_step_by_step_and_a_refusal_ends_it():
    assert rules.chain_state(CHAIN, []).next_index == 0
    s = rules.chain_state(CHAIN, [(True, 1), (True, 2)])
    assert (s.next_index, s.approved) == (2, False)
    assert rules.chain_state(CHAIN, [(True, 1), (True, 2), (True, 3)]).approved
    refused = rules.chain_state(CHAIN, [(True, 1), (False, 2)])
    assert refused.refused and refused.next_index is None and not refused.approved


def test_chain_signers_must_differ_and_the_raiser_only_applies():
    assert rules.approval_refusal(CHAIN, [], signer=1, raiser=1) is None        # 科室申请 by the raiser
    assert rules.approval_refusal(CHAIN, [(True, 1)], signer=1, raiser=1) == "raiser"
    assert rules.approval_refusal(CHAIN, [(True, 2)], signer=2, raiser=1) == "same_signer"
    assert rules.approval_refusal(CHAIN, [(True, 1), (True, 2), (True, 3)], 4, 1) == "decided"
    assert rules.approval_refusal(CHAIN, [(False, 2)], 4, 1) == "decided"


def test_quick_whistles_skip_approval():
    assert rules.needs_approval(True, "regular")
    assert not rules.needs_approval(True, "quick")
    assert not rules.needs_approval(False, "regular")
    assert rules.report_limit("quick", 1, "working_days") == (0.5, "clock_hours")
    assert rules.report_limit("regular", 4, "working_hours") == (4, "working_hours")


def test_checkin_status_late_missing_on_time():
    due = T0 + timedelta(hours=1)
    assert rules.checkin_status(due, T0, T0) == "on_time"
    assert rules.checkin_status(due, due + timedelta(minutes=1), T0) == "late"
    assert rules.checkin_status(due, None, due + timedelta(seconds=1)) == "missing"
    assert rules.checkin_status(due, None, T0) == "waiting"
    assert rules.checkin_status(due, None, due + timedelta(hours=1), objection_pending=True) == "objected"
    assert rules.checkin_status(due, None, T0, released=True) == "released"


def test_task_status_and_closing():
    due = T0 + timedelta(days=1)
    assert rules.task_status(due, "open", None, T0) == "open"
    assert rules.task_status(due, "open", None, due + timedelta(1)) == "overdue"
    assert rules.task_status(due, "done", T0, T0) == "awaiting"
    assert rules.task_status(due, "accepted", due + timedelta(hours=1), T0) == "done_late"
    assert rules.close_refusal([]) == "no_tasks"
    assert rules.close_refusal(["accepted", "done"]) == "open_tasks"
    assert rules.close_refusal(["accepted", "accepted"]) is None


def test_rollup_weights_street_and_district():
    rows = [
        {"unit": "市场监管", "month": "2026-11", "by": "street", "timeliness": 5, "effort": 4, "result": 3},
        {"unit": "市场监管", "month": "2026-11", "by": "street", "timeliness": 3, "effort": 3, "result": 3},
        {"unit": "市场监管", "month": "2026-11", "by": "district", "timeliness": 2, "effort": 2, "result": 2},
        {"unit": "市场监管", "month": "2026-10", "by": "street", "timeliness": 5, "effort": 5, "result": 5},
        {"unit": "东华门街道", "month": "2026-11", "by": "district", "timeliness": 4, "effort": 5, "result": 3},
    ]
    out = {(r.unit, r.month): r for r in rules.rollup(rows)}
    nov = out[("市场监管", "2026-11")]
    assert nov.count == 3 and nov.street_count == 2 and nov.district_count == 1
    assert nov.street_score == 3.5          # mean of 4.0 and 3.0
    assert nov.district_score == 2.0
    assert nov.score == round(3.5 * 0.7 + 2.0 * 0.3, 2)
    assert nov.timeliness == round(10 / 3, 2)
    assert out[("市场监管", "2026-10")].score == 5.0       # one side only: that side's score
    assert out[("东华门街道", "2026-11")].score == 4.0
    assert [r.month for r in rules.rollup(rows)][0] == "2026-10"


def test_over_summoning_share_and_on_time_rate():
    assert rules.over_summoning_share([]) is None
    assert rules.over_summoning_share([("a", True), ("b", False), ("c", True), ("d", False)]) == 0.5
    assert rules.on_time_rate(["on_time", "late", "missing", "waiting", "on_time"]) == 0.5
    assert rules.on_time_rate(["waiting"]) is None
    assert rules.valid_score("5") == 5 and rules.valid_score(0) is None and rules.valid_score("x") is None
    assert rules.mean_duration([(T0, T0 + timedelta(hours=2)), (T0, T0 + timedelta(hours=4))]) == timedelta(hours=3)


def test_summons_score_duty_first_then_history_capped():
    assert rules.summons_score(True, 0, 0) == 10
    assert rules.summons_score(False, 3, 2) == 6.5
    assert rules.summons_score(False, 50, 500) == 25          # capped: 2·10 + 20/4
    assert rules.summons_score(True, 1, 0) > rules.summons_score(False, 4, 0)


def test_approval_step_needs_its_position_or_a_higher_one():
    chain, positions = ["科室申请", "分管副职签字", "主要负责人批准"], ["", "deputy", "head"]
    assert rules.approval_refusal(chain, [], 1, 1, positions, "") is None              # anyone applies
    assert rules.approval_refusal(chain, [(True, 1)], 2, 1, positions, "staff") == "position"
    assert rules.approval_refusal(chain, [(True, 1)], 2, 1, positions, "deputy") is None
    assert rules.approval_refusal(chain, [(True, 1)], 3, 1, positions, "head") is None  # the head may sign for the deputy
    assert rules.approval_refusal(chain, [(True, 1), (True, 2)], 3, 1, positions, "deputy") == "position"
    assert rules.approval_refusal(chain, [(True, 1)], 2, 1, [], "") is None             # no positions: any colleague
    assert rules.chain_positions(chain, ["", "deputy"]) == ["", "deputy", ""]
