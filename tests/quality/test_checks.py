"""The pure reply checks on hand-made requests and replies."""
from jiesu.quality import checks
from jiesu.quality.checks import Reply, check_all, check_one, has_result, own_words, relevance
from jiesu.quality.timing import summarise
from jiesu.workcal.worktime import WorkCalendar

ASK = "东华门大街早市摊贩占道经营，堵塞人行道，希望尽快处理"
GOOD = "您好！经现场核实，东华门大街早市确有摊贩占道经营，城管执法队已于3月5日清理占道摊点并设置疏导区，今后每日巡查。"
RECEIVED = "网友：您好！留言已收悉"
FORWARDED = "您的留言已收悉。关于您反映的问题，已转相关部门调查处理，敬请关注后续回复，谢谢！"
OFF = "经核实，您所在小区的供暖费按照每平方米30元收取，符合本市供热收费标准，请按时缴纳。"


def test_own_words_cut_the_frame_and_quotes():
    text = "网友“UU008846”您好！您的留言已收悉。现将有关情况回复如下：关于“东华门大街占道”的问题，已清理。感谢您对我们工作的关心和支持！2019年5月9日"
    assert own_words(text) == "关于的问题,已清理。"


def test_result_or_not():
    assert has_result(GOOD)
    assert has_result("根据《居住证暂行条例》规定，办理居住证需在居住地居住半年以上，可持身份证到派出所办理。")
    assert not has_result(RECEIVED)
    assert not has_result(FORWARDED)
    assert not has_result("好的")


def test_relevance_on_and_off_topic():
    assert relevance(ASK, GOOD) > 0.2
    assert relevance(ASK, OFF) < checks.RELEVANCE_MIN
    assert relevance(ASK, RECEIVED) == 0.0


def test_check_all_reasons():
    replies = [Reply(1, ASK, GOOD, "u1"), Reply(2, ASK, OFF, "u1"), Reply(3, ASK, RECEIVED, "u1")]
    verdicts = {v.id: v for v in check_all(replies)}
    assert verdicts[1].reasons == []
    assert verdicts[2].reasons == ["off_topic"]
    assert verdicts[3].reasons == ["no_result"]            # too short to be off topic: nothing was said


def test_boilerplate_same_unit_different_problems_only():
    other_ask = "小区垃圾清运不及时，臭味很大，请求处理"
    same_ask = "东华门大街早市占道经营问题严重"
    replies = [Reply(1, ASK, FORWARDED, "u1"), Reply(2, other_ask, FORWARDED, "u1"),   # same unit, other problem
               Reply(3, other_ask, FORWARDED, "u2"),                                   # another unit
               Reply(4, ASK, GOOD, "u3"), Reply(5, same_ask, GOOD, "u3")]              # same problem, same answer
    verdicts = {v.id: v for v in check_all(replies)}
    assert "boilerplate" in verdicts[1].reasons and verdicts[1].same_as == 2
    assert "boilerplate" in verdicts[2].reasons
    assert "boilerplate" not in verdicts[3].reasons
    assert "boilerplate" not in verdicts[4].reasons and "boilerplate" not in verdicts[5].reasons


def test_check_one_against_the_units_recent_replies():
    others = [(10, "小区垃圾清运不及时", FORWARDED)]
    assert check_one(ASK, FORWARDED, others).reasons == ["off_topic", "boilerplate", "no_result"]
    assert check_one(ASK, GOOD, others).reasons == []


def test_reply_times_in_working_hours():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    cal = WorkCalendar()
    mon9 = datetime(2026, 3, 2, 9, 0, tzinfo=tz)
    rows = [("a", mon9, datetime(2026, 3, 2, 12, 0, tzinfo=tz)),      # 3 h
            ("a", mon9, datetime(2026, 3, 3, 9, 0, tzinfo=tz)),       # 7 h (a whole working day)
            ("a", mon9, datetime(2026, 3, 2, 10, 0, tzinfo=tz)),      # 1 h
            ("b", mon9, None)]
    (a,) = summarise(cal, rows)
    assert (a.unit, a.replies, a.median_h) == ("a", 3, 3.0)
    assert a.p90_h == 6.2                                            # 3 + 0.8 × (7 − 3)
