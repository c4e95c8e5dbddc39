"""The platform's own words on tickets and retrainings, each said by one function or template in the reader's
language: a forced retraining with nothing to judge on, the desk's hold naming the proposal and the ticket, the
same caller's repeat flag stored in the platform's language, an auto-dispatch's facts written with its event."""
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from jiesu.accounts.models import Role, User
from jiesu.core.errors import DomainError
from jiesu.dispatch import duplicates, wording
from jiesu.dispatch import services as desk
from jiesu.dispatch.classifier import ClassifierConfig, TextClassifier
from jiesu.dispatch.models import AutoDispatchRule, RetrainRun, RetrainState, RetrainTrigger, SuggestionSource
from jiesu.tickets import services
from jiesu.tickets.models import TicketEvent
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .desk_helpers import GAS_BILL, desk_world  # noqa: F401  (fixture)
from .test_accuracy_runs_and_rules import page
from .test_cli_retrain import GAS, STALLS, _tickets
from .test_cli_train import run
from .test_duplicate_proposals import STALL_THIRD
from .test_duplicates_db import STALL_AGAIN

pytestmark = pytest.mark.django_db


def _row(html, run_id):
    """The accuracy page's table row of a retraining."""
    start = html.index(f'data-run="{run_id}"')
    return html[start:html.index("</tr>", start)]


# ── 1. a forced retraining with nothing to judge on ────────────────────────

def test_a_forced_retraining_with_nothing_to_judge_on_is_worded_in_the_readers_language(desk_world, tmp_path,
                                                                                       settings):
    w = desk_world
    _tickets(w, w.category.code, w.gas.code, closed_at=timezone.now() - timedelta(days=1))
    path = tmp_path / "desk.npz"
    TextClassifier(config=ClassifierConfig(calibrate=False)).fit(
        STALLS + GAS, [w.category.code] * 5 + [w.gas.code] * 5, version="desk-1").save(path)
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    result = json.loads(run("retrain", "--model", str(path), "--force", "--version", "desk-2")[-1])
    assert result["promoted"] and result["candidate"] is None and result["n_holdout"] == 0
    assert result["reason"] == "replaced unjudged (--force)" and result["forced"] == "unjudged"  # the CLI's JSON
    assert not result["unreadable_current"]
    forced = RetrainRun.objects.get()
    assert forced.state == RetrainState.REPLACED and forced.result["forced"] == "unjudged"
    staff = User.objects.create_user("ops", password="pw", role=Role.ADMIN, is_staff=True)
    for user in (staff, w.supervisor):
        chinese = _row(page(user, "/dispatch/accuracy/"), forced.pk)
        assert "未经检验即启用（--force）：没有可用于检验的工单。" in chinese
        assert "<small>replaced unjudged" not in chinese and "被替换的模型文件" not in chinese
        english = _row(page(user, "/dispatch/accuracy/", "en"), forced.pk)
        assert "Put in place unjudged (--force): no ticket was left to judge it on." in english
    assert 'title="replaced unjudged (--force)"' in _row(page(staff, "/dispatch/accuracy/"), forced.pk)  # on hover


def test_a_damaged_model_replaced_and_a_worse_one_forced_are_said_after_the_judgement(desk_world, tmp_path,
                                                                                     settings, monkeypatch):
    from jiesu.dispatch import training

    monkeypatch.setattr(training, "MIN_HOLDOUT", 2)
    w = desk_world
    _tickets(w, w.category.code, w.gas.code)
    path = tmp_path / "desk.npz"
    path.write_bytes(b"half a file")
    settings.JIESU = {**settings.JIESU, "DISPATCH_MODEL": str(path)}
    result = json.loads(run("retrain", "--model", str(path))[-1])
    assert result["unreadable_current"] and result["forced"] == "" and result["candidate"] is not None
    damaged = RetrainRun.objects.get()
    worse = desk.start_retrain_run(RetrainTrigger.COMMAND, path)
    desk.finish_retrain_run(worse, RetrainState.REPLACED, "…, replaced although worse (--force)", {
        "n_holdout": 6, "candidate": {"accuracy": 0.5}, "current": {"accuracy": 1.0}, "forced": "worse"})
    html = page(w.supervisor, "/dispatch/accuracy/")
    assert "，被替换的模型文件无法读取" in _row(html, damaged.pk)
    assert "新模型在最新 6 件工单上首条建议正确 50.0%，当时在用的模型 100.0%；虽然更差，仍已启用（--force）" in _row(
        html, worse.pk)
    english = page(w.supervisor, "/dispatch/accuracy/", "en")
    assert ", the model file it replaced could not be read" in _row(english, damaged.pk)
    assert "; put in place although worse (--force)" in _row(english, worse.pk)


# ── 2. the desk's hold says which proposal and names the ticket ────────────

def test_the_hold_names_the_merge_proposal_and_its_ticket(desk_world):
    w = desk_world
    earlier, later = new_ticket(w), new_ticket(w, text="东华门大街又有人占道经营，还是没人管")
    duplicates.propose_merge(w.call_taker, later, earlier.pk)
    with translation.override("zh-hans"):
        assert desk.accept_warning(later) == f"受理时建议合并到工单 {earlier.number}，尚未决定。"
    with translation.override("en"):
        assert desk.accept_warning(later) == (f"Proposed at intake for merging into ticket {earlier.number}, not "
                                              "yet decided.")
        with pytest.raises(DomainError) as refused:
            desk.accept(w.dispatcher, later, 1)
    assert refused.value.message.startswith(f"Proposed at intake for merging into ticket {earlier.number}, not yet "
                                            'decided. Check it, then send "confirm": true')  # the API's
    with translation.override("en"), pytest.raises(DomainError) as refused:
        desk.accept(w.dispatcher, later, 1, source=SuggestionSource.DESK)
    assert refused.value.message.endswith("Dispatch it as suggested only after confirming that you have checked it, "
                                          "or use the dispatch form.")  # the desk's form has a box to tick


def test_the_hold_names_the_same_callers_earlier_ticket_and_how_many_days_ago(desk_world):
    w = desk_world
    earlier = new_ticket(w, citizen_phone="13812345678")
    again = new_ticket(w, text=STALL_AGAIN, citizen_phone="13812345678")
    duplicates.flag_repeats(w.call_taker, again)
    flag = TicketEvent.objects.get(ticket=again, kind="duplicate_proposed")
    with translation.override("zh-hans"):  # the gap between the two calls, not "today" on every later day
        assert desk.accept_warning(again) == f"同一来电人同一天重复反映（工单 {earlier.number}），尚未决定。"
    with translation.override("en"):
        assert desk.accept_warning(again) == (f"The same caller reported this again the same day (ticket "
                                              f"{earlier.number}), not yet decided.")
    TicketEvent.objects.filter(pk=flag.pk).update(payload={**flag.payload, "days": 3})
    with translation.override("zh-hans"):
        assert desk.accept_warning(again) == f"同一来电人 3 天内重复反映（工单 {earlier.number}），尚未决定。"
    with translation.override("en"):
        assert desk.accept_warning(again) == (f"The same caller reported this again within 3 days (ticket "
                                              f"{earlier.number}), not yet decided.")
    panel = page(w.dispatcher, f"/dispatch/desk/{again.pk}/suggestions/")
    assert f"同一来电人 3 天内重复反映（工单 {earlier.number}），尚未决定。" in panel and 'class="desk-hold"' in panel


def test_the_hold_names_the_ticket_the_caller_reported_and_where_it_was_merged(desk_world):
    w = desk_world
    earlier = new_ticket(w, citizen_phone="13812345678")
    again = new_ticket(w, text=STALL_AGAIN, citizen_phone="13812345678")
    duplicates.flag_repeats(w.call_taker, again)
    proposed = new_ticket(w, text="东华门大街又有人占道经营，还是没人管")
    duplicates.propose_merge(w.call_taker, proposed, earlier.pk)
    handling = new_ticket(w, text=STALL_THIRD, citizen_phone="13700000000")
    services.dispatch(w.dispatcher, handling, w.street.pk)
    services.merge(w.dispatcher, earlier, handling)  # the earlier ticket went into another since
    with translation.override("zh-hans"):
        assert desk.accept_warning(again) == (f"同一来电人同一天重复反映（工单 {earlier.number}，已并入工单 "
                                              f"{handling.number}），尚未决定。")
        assert desk.accept_warning(proposed) == (f"受理时建议合并到工单 {earlier.number}（该工单已并入工单 "
                                                 f"{handling.number}），尚未决定。")
    with translation.override("en"):
        assert desk.accept_warning(again) == (f"The same caller reported this again the same day (ticket "
                                              f"{earlier.number}, since merged into ticket {handling.number}), not "
                                              "yet decided.")
        assert desk.accept_warning(proposed) == (f"Proposed at intake for merging into ticket {earlier.number} "
                                                 f"(since merged into ticket {handling.number}), not yet decided.")
    assert [(h.kind, h.ticket, h.merged_into) for h in desk.holds(again)] == [
        ("same_caller", earlier.number, handling.number)]


# ── 3. the same caller's repeat flag: one function words it ────────────────

@pytest.mark.parametrize("facts, chinese, english", [
    ({"days": 0, "place_reason": "street"}, "同一来电人今天已反映（{n}，同街道），受理时未按重复诉求办结",
     "The same caller reported this today ({n}, same street); not closed as a repeat at intake"),
    ({"days": 1, "place_reason": "point", "distance_m": 120}, "同一来电人 1 天前已反映（{n}，相距 120 米），受理时未按重复诉求办结",
     "The same caller reported this 1 day ago ({n}, 120 m apart); not closed as a repeat at intake"),
    ({"days": 5, "place_reason": "unknown"}, "同一来电人 5 天前已反映（{n}，地点未知），受理时未按重复诉求办结",
     "The same caller reported this 5 days ago ({n}, place unknown); not closed as a repeat at intake"),
])
def test_the_repeat_note_is_worded_from_its_facts_with_the_places_chinese_labels(facts, chinese, english):
    facts = {**facts, "parent_number": "20261206-0025424"}
    with translation.override("en"):  # stored in the platform's language, whoever's request writes it
        assert wording.in_platform_language(wording.same_caller_note, facts) == chinese.format(n="20261206-0025424")
        assert wording.same_caller_note(facts) == english.format(n="20261206-0025424")
    label = duplicates.PLACE_LABELS["point"].format(d=120) if facts["place_reason"] == "point" else \
        duplicates.PLACE_LABELS[facts["place_reason"]]
    assert f"，{label}）" in chinese  # the API's Chinese label and the stored note agree


def test_the_repeat_flag_is_stored_in_the_platforms_language_from_an_english_request(world, settings):
    earlier = new_ticket(world, citizen_phone="13812345678")
    again = new_ticket(world, text=STALL_AGAIN, citizen_phone="13812345678")
    with translation.override("en"):
        said = duplicates.flag_repeats(world.call_taker, again)
    event = TicketEvent.objects.get(ticket=again, kind="duplicate_proposed")
    assert event.note == f"同一来电人今天已反映（{earlier.number}，同街道），受理时未按重复诉求办结"
    assert said == [("warning", f"Flagged as a possible repeat of {earlier.number} (the same caller); the "
                                "dispatcher decides.")]
    english = page(world.dispatcher, f"/tickets/{again.pk}/", "en")
    assert f"The same caller reported this today ({earlier.number}, same street)" in english
    settings.LANGUAGE_CODE = "en"
    later = new_ticket(world, text=STALL_AGAIN, citizen_phone="13812345678")
    with translation.override("zh-hans"):
        duplicates.flag_repeats(world.call_taker, later)
    notes = set(TicketEvent.objects.filter(ticket=later, kind="duplicate_proposed").values_list("note", flat=True))
    assert f"The same caller reported this today ({earlier.number}, same street); not closed as a repeat at " \
           "intake" in notes


def test_an_older_repeat_flag_without_its_facts_shows_its_stored_note(world):
    earlier = new_ticket(world, citizen_phone="13812345678")
    again = new_ticket(world, text=STALL_AGAIN, citizen_phone="13812345678")
    services.record_event(again, duplicates.PROPOSED, world.call_taker, again.state, again.state,
                          f"同一来电人 2 天前已反映（{earlier.number}，同街道），受理时未按重复诉求办结",
                          parent=earlier.pk, parent_number=earlier.number, reason="same_caller")
    english = page(world.dispatcher, f"/tickets/{again.pk}/", "en")
    assert f"同一来电人 2 天前已反映（{earlier.number}，同街道）" in english


# ── 4. an auto-dispatch's facts are written with its event ─────────────────

def test_the_dispatch_takes_more_facts_for_its_event(desk_world):
    w = desk_world
    ticket = new_ticket(w)
    services.dispatch(w.dispatcher, ticket, w.street.pk, payload={"auto": {"rank": 1}})
    event = ticket.events.get(kind="dispatch")
    assert event.payload["auto"] == {"rank": 1} and event.payload["lead_id"] == w.street.pk
    with pytest.raises(TypeError):  # a fact the dispatch writes itself is not overwritten
        services.dispatch(w.dispatcher, new_ticket(w), w.street.pk, payload={"lead": "elsewhere"})


def test_an_auto_dispatch_writes_its_event_once(desk_world):
    w = desk_world
    AutoDispatchRule.objects.create(category=w.category.parent.parent, threshold=0.8, enabled=True)
    gas = new_ticket(w, text=GAS_BILL, category_code="")
    with CaptureQueriesContext(connection) as queries:
        assert desk.auto_dispatch_new_tickets().tickets == [gas.pk]
    event_writes = [q["sql"] for q in queries.captured_queries if "tickets_ticketevent" in q["sql"]
                    and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len(event_writes) == 1 and event_writes[0].lstrip().upper().startswith("INSERT")
    event = gas.events.get(kind="dispatch")
    assert event.payload["auto"]["category_code"] == "01.01.02" and event.note.startswith("系统自动派单")
