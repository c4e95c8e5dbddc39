"""A co unit (协办) as a department's clerk meets it: its report to the lead unit is worded as one, not as a citizen's
举报."""
import re

from jiesu.tickets import services
from tests.tickets.helpers import new_ticket


def co_form(client, world, lang):
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk, [world.dept2.pk])
    client.force_login(world.dept2_staff)
    client.cookies["django_language"] = lang
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    return re.search(r'<form[^>]*id="act-co_reply".*?</form>', html, re.S).group(0)


def test_the_co_units_report_button_is_not_a_whistleblowers_report(world, client):
    form = co_form(client, world, "zh-hans")
    assert "举报" not in form  # 举报 is the request type "Report" (a citizen reporting a violation)
    assert ">提交协办反馈</button>" in form and 'aria-label="向主办单位反馈"' in form


def test_in_english_it_says_what_it_sends(world, client):
    form = co_form(client, world, "en")
    assert ">Send the report</button>" in form and 'aria-label="Report to the lead unit"' in form


def test_the_lead_units_reply_form_shows_each_co_units_report_or_that_it_has_not_reported(world, client):
    """首接负责: the lead unit's reply answers for the co units' parts too. Their reports stood only in the timeline,
    among the other events, and nothing said that a co unit had not reported yet."""
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk, [world.dept2.pk, world.street.pk])
    services.co_reply(world.dept2_staff, ticket, "已核查该企业营业执照，责令整改")
    services.sign(world.dept_staff, ticket)
    services.contact(world.dept_staff, ticket, "已电话联系")
    client.force_login(world.dept_staff)
    client.cookies["django_language"] = "zh-hans"
    html = client.get(f"/tickets/{ticket.pk}/").content.decode()
    form = re.search(r'<form[^>]*id="act-reply".*?</form>', html, re.S).group(0)
    reports = re.search(r'<div class="co-reports".*?</div>', form, re.S).group(0)
    assert "协办单位反馈" in reports
    assert re.search(r"市市场监督管理局.*已核查该企业营业执照，责令整改", reports, re.S)
    assert re.search(r"东华门街道.*尚未反馈", reports, re.S)


def test_a_co_units_report_sent_before_signing_counts_as_its_signature(world, client):
    """A co unit that reported without pressing 签收（协办） first was left unsigned: its sign countdown ran on (red
    once past) beside its report, and the page still offered it 签收."""
    ticket = new_ticket(world)
    services.dispatch(world.dispatcher, ticket, world.dept.pk, [world.dept2.pk])
    services.co_reply(world.dept2_staff, ticket, "已核查，无违规")
    co = ticket.assignments.get(unit=world.dept2, active=True)
    assert co.signed_at == co.replied_at
    assert ticket.events.get(kind="co_reply").payload == {"signed": True}
    client.force_login(world.dept2_staff)
    assert 'id="act-co_sign"' not in client.get(f"/tickets/{ticket.pk}/").content.decode()
