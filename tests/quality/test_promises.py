"""A reply that only promises (我们会尽快处理, 正在积极协调, 如有疑问可以来电) says nothing was done: no_result.
A reply that states facts (a measurement, a visit, how to get a thing done) is a result (audit 2026-12-07: before,
courtesy words such as 可以, 需要, 负责, 沟通, 正在 counted as a result, and 上门测温 / 可携带…办理 did not)."""
import pytest

from jiesu.quality.checks import has_result

PROMISES = [
    "您好，您反映的问题我们已经收到，我们会尽快处理，如有疑问可以再次来电。",
    "您好，您的诉求已收悉，我单位高度重视，正在积极协调处理中，请您耐心等待。",
    "您好，我们会认真负责地对待您反映的问题，具体情况将进一步了解。",
    "您好，针对您反映的问题，我们会与相关部门沟通，尽快给您答复。",
    "您好！您反映的问题我们高度重视，将加大巡查力度，需要您的理解和支持。",
]

FACTS = [
    "您好，小区供暖不热的问题，热力公司工作人员于12月5日上门测温，室温17℃，已放水排气，复测室温19℃。",
    "您咨询的社保卡补办，可携带身份证到任意社保经办网点办理，当场可取。",
    "经工作人员12月3日到场查看，该车辆为僵尸车，已张贴告知书，车主逾期未挪将拖移。",
    "您好，该路段施工为地铁12号线工程，计划于2027年6月完工，夜间施工已办理夜间施工许可证。",
    "我们将于12月10日前完成井盖更换，届时恢复通行。",             # a dated commitment is a decision
    "您好，我们正在对该路段进行维修，预计本周五恢复通车。",
]


@pytest.mark.parametrize("reply", PROMISES)
def test_a_promise_without_a_deed_is_no_result(reply):
    assert not has_result(reply)


@pytest.mark.parametrize("reply", FACTS)
def test_facts_are_a_result(reply):
    assert has_result(reply)
