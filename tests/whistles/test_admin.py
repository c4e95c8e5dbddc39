"""The back office edits whistle levels; a malformed approval chain is refused with a message."""
from jiesu.whistles.admin import WhistleLevelForm
from jiesu.whistles.models import WhistleLevel
from whistles.conftest import ensure_default_levels


def test_level_approval_chain_must_be_a_list_of_step_names(db):
    ensure_default_levels()
    level = WhistleLevel.objects.get(code="key")
    data = {"code": "key", "name": level.name, "report_amount": 1, "report_unit": "working_days", "task_days": 5,
            "sort": 1, "active": True}
    bad = WhistleLevelForm({**data, "approval_chain": '{"step": 1}'}, instance=level)
    assert not bad.is_valid() and "approval_chain" in bad.errors
    good = WhistleLevelForm({**data, "approval_chain": '[" 科室申请 ", "主要负责人批准"]'}, instance=level)
    assert good.is_valid(), good.errors
    good.save()
    level.refresh_from_db()
    assert level.approval_chain == ["科室申请", "主要负责人批准"] and level.needs_approval


def test_level_positions_are_known_posts_and_no_more_than_the_steps(db):
    ensure_default_levels()
    level = WhistleLevel.objects.get(code="hard")
    assert level.approval_positions == ["", "deputy", "head"]          # the migration's defaults
    data = {"code": "hard", "name": level.name, "report_amount": 1, "report_unit": "working_days", "task_days": 10,
            "sort": 3, "active": True, "approval_chain": '["科室申请", "主要负责人批准"]'}
    unknown = WhistleLevelForm({**data, "approval_positions": '["", "mayor"]'}, instance=level)
    assert not unknown.is_valid() and "approval_positions" in unknown.errors
    too_many = WhistleLevelForm({**data, "approval_positions": '["", "head", "head"]'}, instance=level)
    assert not too_many.is_valid() and "approval_positions" in too_many.errors
    good = WhistleLevelForm({**data, "approval_positions": '["section_chief", "head"]'}, instance=level)
    assert good.is_valid(), good.errors
