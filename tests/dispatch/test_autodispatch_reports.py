"""Auto-dispatch leaves reports (举报), confidential tickets (保密) and texts accusing a unit to a person (audit 11,
finding 17), counted by reason; the desk says why; the rule itself (accusation.accusation_in) both ways."""
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from jiesu.core.errors import DomainError
from jiesu.dispatch import jobs
from jiesu.dispatch import services as desk
from jiesu.dispatch.accusation import accusation_in
from jiesu.dispatch.models import AutoDispatchRule
from jiesu.tickets.models import State
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import desk_world  # noqa: F401  (fixture)

# ── the rule, both ways ─────────────────────────────────────────────────────

HELD = [
    ("王府井大街楼下饭馆油烟扰民，举报街道城管", "report", "举报"),
    ("我要检举小区里的违法建设", "report", "检举"),
    ("东华门街道城管执法队员长期收受王府井摊贩好处费", "accuses_unit", "好处费"),
    ("社区对违建一直包庇", "accuses_unit", "包庇"),
    ("城管执法队不作为，占道经营半年没人管", "accuses_unit", "不作为"),
    ("执法人员对商户吃拿卡要", "accuses_unit", "吃拿卡要"),
    ("派出所民警受贿", "accuses_unit", "受贿"),
    ("城管队员把人打伤了", "accuses_unit", "队员…把人打"),
    ("今天上午执法人员粗暴执法，推搡老人", "accuses_unit", "执法…粗暴执法"),
    ("居委会主任骂人，态度恶劣", "accuses_unit", "主任…骂人"),
    ("街道办的工作人员互相推诿", "accuses_unit", "工作人员…推诿")  # the nearest,
]

NOT_HELD = [
    "城管不管占道经营",                      # asks the unit to act: what a dispatch to it does
    "东华门街道王府井大街有人占道经营，堵塞人行道",  # the street named as the place
    "东华门大街有人占道经营，城管来了以后小贩骂人",    # the deed is the vendor's
    "我给城管打了电话，一直没人来处理",           # a phone call, no beating
    "城管没有打人，是摊贩之间打架",              # denied
    "饭馆老板态度恶劣，油烟扰民",               # no official
    "社区里有人骂人，噪音很大",                 # 社区 as a place, someone else's deed
    "请城管部门尽快清理占道摊点，谢谢",
]


@pytest.mark.parametrize("text,reason,words", HELD)
def test_reports_and_accusations_are_found(text, reason, words):
    found = accusation_in(text)
    assert (found.reason, found.words) == (reason, words)


@pytest.mark.parametrize("text", NOT_HELD)
def test_ordinary_complaints_are_not_held(text):
    assert accusation_in(text) is None


def test_the_unit_a_ticket_would_go_to_counts_as_an_official():
    text = "东华门街道推诿，三次反映都不办"
    assert accusation_in(text) is None
    assert accusation_in(text, ["东华门街道"]).words == "东华门街道…推诿"
    assert accusation_in("东华门街道王府井大街有人打人", ["东华门街道"]) is None  # 有人: someone else


# ── a real pass ─────────────────────────────────────────────────────────────

def test_a_pass_leaves_reports_confidential_and_accusing_tickets_to_a_person(desk_world):
    """finding 17's steps: a rule at 80 % on 城市管理; each ticket's top suggestion (占道经营 → the street) reaches it."""
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)
    typed = new_ticket(w, request_type="report")                         # a report, whatever it says
    worded = new_ticket(w, text="东华门大街有人占道经营，举报街道城管")      # says 举报: a report in words
    secret = new_ticket(w, confidential=True)
    bribe = new_ticket(w, text="东华门大街有人占道经营，城管收好处费不管")
    named = new_ticket(w, text="东华门大街有人占道经营，东华门街道推诿不办")  # the street it would go to
    plain = new_ticket(w, text="东华门大街有人占道经营，城管不管")          # dispatched: no accusation
    report = desk.auto_dispatch_new_tickets()
    figures = report.as_dict()
    assert {k: figures[k] for k in ("checked", "dispatched", "report", "confidential", "accuses_unit")} == {
        "checked": 6, "dispatched": 1, "report": 2, "confidential": 1, "accuses_unit": 2}
    assert figures["tickets"] == [plain.pk]
    for held in (typed, worded, secret, bribe, named):
        held.refresh_from_db()
        assert held.state == State.NEW and not held.assignments.exists()
    plain.refresh_from_db()
    assert plain.state == State.DISPATCHED and plain.lead_unit == w.street


def test_the_command_prints_the_reasons(desk_world):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)
    new_ticket(w, text="王府井大街楼下饭馆油烟扰民，举报街道城管", request_type="report", confidential=True)
    out = StringIO()
    call_command("autodispatch", "--once", stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert (figures["dispatched"], figures["report"], figures["confidential"], figures["accuses_unit"]) == (0, 1, 0, 0)


# ── the desk says why ───────────────────────────────────────────────────────

def test_the_desk_says_why_and_one_key_needs_the_box(desk_world):
    w = desk_world
    ticket = new_ticket(w, text="东华门大街有人占道经营，城管收好处费不管")
    assert [h.kind for h in desk.holds(ticket)] == ["accuses_unit"]
    with translation.override("zh-hans"):
        assert desk.accept_warning(ticket) == "内容指控单位或其工作人员（“收好处”）：请核实不会派给被指控的单位。"
    with translation.override("en"):
        assert desk.accept_warning(ticket) == ("Its text accuses a unit or its staff (“收好处”): make sure it does not "
                                               "go to the unit accused.")
    with pytest.raises(DomainError):
        desk.accept(w.dispatcher, ticket, 1)
    ticket, _row = desk.accept(w.dispatcher, ticket, 1, confirm=True)
    assert ticket.state == State.DISPATCHED


@pytest.mark.parametrize("kw,kind,words", [
    ({"request_type": "report"}, "report", "这是举报件：请核实不会派给被举报的单位。"),
    ({"confidential": True}, "confidential", "市民要求保密：请核实不会派给其所涉及的单位。"),
    ({"text": "东华门大街有人占道经营，我要举报"}, "report", "内容是举报（“举报”）：请核实不会派给被举报的单位。"),
])
def test_each_reason_has_its_words(desk_world, kw, kind, words):
    ticket = new_ticket(desk_world, **kw)
    assert [h.kind for h in desk.holds(ticket)] == [kind]
    with translation.override("zh-hans"):
        assert desk.accept_warning(ticket) == words


def test_an_ordinary_ticket_is_not_held(desk_world):
    assert desk.holds(new_ticket(desk_world)) == []


def test_the_queue_cards_panel_says_why(desk_world, client):
    ticket = new_ticket(desk_world, text="王府井大街楼下饭馆油烟扰民，举报街道城管", request_type="report",
                        confidential=True)
    client.force_login(desk_world.dispatcher)
    page = client.get(f"/dispatch/desk/{ticket.pk}/suggestions/").content.decode()
    assert 'class="desk-hold"' in page and "这是举报件：请核实不会派给被举报的单位。" in page


def test_the_worker_logs_a_pass_that_held_a_report(desk_world, caplog):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)
    new_ticket(w, request_type="report")
    with caplog.at_level("INFO", logger="jiesu.dispatch.jobs"):
        report = jobs.auto_dispatch_once()
    assert report.report == 1 and report.dispatched == 0
    assert any("'report': 1" in r.getMessage() for r in caplog.records)
