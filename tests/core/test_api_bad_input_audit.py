"""Every POST/PUT/PATCH/DELETE endpoint of the REST API (/api/v1/) fed bad input, as the demo city's users with their
API tokens (docs/lifecycle.md, "Bad input and errors").

The endpoints are walked from the API's own router (test_every_write_endpoint_is_audited fails on a new one without
a sample here), and the bad values from each endpoint's OpenAPI request schema: a body that is not JSON, an array, a
string, null or a number instead of an object; for each field: missing (when required), the wrong type (a string for
a number, a list for a text, a float for a whole number, "yes" for a boolean, an object for a list…), null, an empty
string, 100,000 characters, control characters, a lone surrogate (\\ud800), numbers out of range (-1, 2**63);
unknown fields; path ids of records that do not exist (and 2**63) or lie in another street's territory; dates in the
wrong format or zone. Each answer is checked:

- never a 500 (an exception raised by the view counts as one);
- a refusal is 400, 403, 404, 409 or 422, as JSON {"error", "field", "message"} (the shape install_error_handlers
  gives every refusal), the message in Chinese by default and in English for `Accept-Language: en`; a value of the
  wrong type or out of range names its field;
- a refused request writes nothing: the rows of tickets, events, assignments, whistles (and their summons, tasks and
  events), patrols, grid duties, members, places, sensors and readings are counted before and after.

The demo city (东城区: the org tree, the catalogue, the demo users, 60 demo tickets, the demo whistles) is built once
for the module in a transaction rolled back at its end; each request runs in a savepoint of its own, rolled back
after it, so that a request accepted by mistake changes nothing the next one sees.
"""
import json
import re
import time
from dataclasses import dataclass, field

import pytest
from django.core.signals import got_request_exception
from django.db import transaction
from django.test import Client

from tests.core.demo_city import build_demo_city

pytestmark = pytest.mark.django_db

HAN = re.compile(r"[\u3400-\u9fff]")
REFUSED = (400, 403, 404, 409, 422)
SHAPE = {"error", "field", "message"}
HUGE = 2 ** 63
LONG = "长" * 100_000
MISSING_ID = 987654321


# ── the demo city ─────────────────────────────────────────────────────────────

def tokens():
    """Each demo user's API token, issued as the admin issues one (accounts.ApiToken, the user's inline)."""
    from jiesu.accounts.models import ApiToken, User
    from jiesu.demo.users import DEMO_USERNAMES

    return {u.username: ApiToken.objects.create(user=u, name="audit").key
            for u in User.objects.filter(username__in=DEMO_USERNAMES)}


def counted():
    """The rows a refused request must leave as they were."""
    from jiesu.accounts.models import ApiToken  # noqa: F401  (tokens' last_used_at is an update, not a row)
    from jiesu.grids.models import GridDuty, GridMember, KeyPlace, CareSubject, Patrol, TrackPoint, PatrolReport
    from jiesu.tickets.models import (
        Assignment, Attachment, Callback, ExtensionRequest, ReturnRequest, Ticket, TicketEvent,
    )
    from jiesu.warnings.models import Sensor, SensorReading
    from jiesu.whistles.models import Approval, Rating, Summons, Task, Whistle, WhistleEvent

    return (Ticket, TicketEvent, Assignment, Attachment, Callback, ExtensionRequest, ReturnRequest, Whistle,
            WhistleEvent, Approval, Summons, Task, Rating, GridDuty, GridMember, KeyPlace, CareSubject, Patrol,
            TrackPoint, PatrolReport, Sensor, SensorReading)


def row_counts():
    """The rows of each counted table, in one query."""
    from django.db import connection

    models = counted()
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(m._meta.db_table)})"
                                             for m in models))
        return dict(zip((m.__name__ for m in models), cursor.fetchone()))


@dataclass
class Samples:
    ids: dict = field(default_factory=dict)

    def __getitem__(self, key):
        return self.ids[key]


def street_tickets(street, other_street):
    """东华门's tickets in each state the street's actions need, and one of 景山's (another street's territory)."""
    from jiesu.accounts.models import User
    from jiesu.tickets import services
    from jiesu.tickets.models import Ticket
    from jiesu.tickets.services import IntakeData

    users = {u.username: u for u in User.objects.filter(
        username__in=("calltaker", "dispatcher", "street", "street2", "citizen"))}

    def ticket(unit, staff, steps):
        t, _created = services.create_ticket(users["calltaker"], IntakeData(
            text="东华门大街路灯不亮，晚上很黑", street_code=unit.code, citizen_phone="13900001111",
            category_code="01.01.01"))
        if "dispatch" in steps:
            t = services.dispatch(users["dispatcher"], t, unit.pk, note="请处理")
        if "sign" in steps:
            t = services.sign(users[staff], t)
        if "contact" in steps:
            t = services.contact(users[staff], t, "已联系")
        if "reply" in steps:
            t = services.reply(users[staff], t, "已修复", True)
        return t.pk

    citizens = ticket(street, "street", ("dispatch", "sign", "contact", "reply"))  # the demo citizen's, to rate
    Ticket.objects.filter(pk=citizens).update(citizen_user=users["citizen"])
    return {"citizen_replied": citizens,
            "dispatched": ticket(street, "street", ("dispatch",)),
            "signed": ticket(street, "street", ("dispatch", "sign")),
            "contacted": ticket(street, "street", ("dispatch", "sign", "contact")),
            "replied": ticket(street, "street", ("dispatch", "sign", "contact", "reply")),
            "other_ticket": ticket(other_street, "street2", ("dispatch", "sign"))}


def find_samples(keys):
    from jiesu.grids.models import GridDuty
    from jiesu.tickets.models import Ticket
    from jiesu.units.models import Unit
    from jiesu.whistles.models import Summons, Task, Whistle

    street = Unit.objects.get(code="110101001")

    def first(qs, state=None):
        row = (qs.filter(state=state) if state else qs).first()
        return row.pk if row else MISSING_ID

    s = Samples()
    s.ids.update(street_tickets(street, Unit.objects.get(code="110101002")))
    s.ids.update(
        street_unit=street.pk, other_street_unit=Unit.objects.get(code="110101002").pk,
        new=first(Ticket.objects.order_by("pk"), "new"),
        new2=Ticket.objects.filter(state="new").order_by("-pk").first().pk,
        closed=first(Ticket.objects.order_by("pk"), "closed"),
        returned=first(Ticket.objects.order_by("pk"), "returned"), merged=first(Ticket.objects.order_by("pk"), "merged"),
        grid="110101001001001", other_grid="110101002001001",
    )
    dept = Unit.objects.get(code="CD-RSJ")
    active = Whistle.objects.filter(unit=street, state="active").order_by("-pk")
    whistle = active.filter(summons__unit=dept, summons__state="summoned").first() or active.first()
    approval = Whistle.objects.filter(unit=street, state="approval").order_by("-pk").first()
    s.ids["whistle"] = whistle.pk if whistle else MISSING_ID
    s.ids["whistle_approval"] = approval.pk if approval else MISSING_ID
    summons = Summons.objects.filter(whistle=whistle, unit=dept).first() or Summons.objects.filter(
        whistle=whistle).first()
    task = Task.objects.filter(whistle=whistle, unit=dept).first() or Task.objects.filter(whistle=whistle).first()
    s.ids["summons"] = summons.pk if summons else MISSING_ID
    s.ids["task"] = task.pk if task else MISSING_ID
    summoned = Summons.objects.filter(unit=dept, state="summoned", whistle__state="active").order_by("-pk").first()
    s.ids["whistle_dept"] = summoned.whistle_id if summoned else MISSING_ID
    s.ids["summons_dept"] = summoned.pk if summoned else MISSING_ID
    open_task = Task.objects.filter(unit=dept, state="open", whistle__state="active").order_by("-pk").first()
    s.ids["whistle_task"] = open_task.whistle_id if open_task else MISSING_ID
    s.ids["task_dept"] = open_task.pk if open_task else MISSING_ID
    free = Unit.objects.filter(kind="department", active=True).exclude(summons__whistle=whistle).order_by("code")
    s.ids["free_unit"] = free.first().pk
    s.ids["dept_unit"] = Unit.objects.get(code="CD-RSJ").pk
    duty = GridDuty.objects.order_by("pk").first()
    s.ids["duty"] = duty.pk if duty else MISSING_ID
    s.ids.update(reply_flags(s["replied"]))
    s.ids["token"] = keys
    return s


def reply_flags(ticket_id):
    """Two flags on 东华门's replied ticket's reply (jiesu.quality): one to appeal, one appealed to decide."""
    from datetime import timedelta

    from django.utils import timezone

    from jiesu.quality.models import ReplyFlag
    from jiesu.tickets.models import Assignment

    lead = Assignment.objects.filter(ticket_id=ticket_id, role="lead").first()
    flag = dict(ticket_id=ticket_id, unit_id=lead.unit_id, reasons=["no_result"], relevance=0.0,
                checked_at=timezone.now())
    fresh = ReplyFlag.objects.create(replied_at=lead.replied_at, **flag)
    pending = ReplyFlag.objects.create(replied_at=lead.replied_at - timedelta(seconds=1),
                                       appeal_state="pending", appeal_reason="答复已说明结果", **flag)
    return {"reply_flag": fresh.pk, "reply_flag_pending": pending.pk}


# ── the endpoints, each with a user who may call it and a body it accepts ──────

@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str          # the router's path, {name} filled from the samples
    user: str
    body: dict | None  # a body the endpoint accepts (None: no body)
    form: bool = False  # multipart

    @property
    def key(self):
        return f"{self.method} {self.path}"


E = Endpoint
ENDPOINTS = (
    E("POST", "/tickets", "calltaker", {"text": "东华门大街路灯不亮", "street": "110101001", "citizen_phone": "13900001111"}),
    E("POST", "/tickets/{contacted}/contact", "street", {"note": "已电话联系"}),
    E("POST", "/tickets/{new}/attachments", "calltaker", None, form=True),
    E("POST", "/tickets/{new}/close-special", "calltaker", {"special_class": "emergency", "note": "已转110"}),
    E("POST", "/tickets/{new}/answer", "calltaker", {"text": "已按知识库答复"}),
    E("POST", "/tickets/{new}/dispatch", "dispatcher", {"lead_unit": "{street_unit}", "note": "请处理"}),
    E("POST", "/tickets/{dispatched}/sign", "street", None),
    E("POST", "/tickets/{contacted}/reply", "street", {"text": "已处理完毕"}),
    E("POST", "/tickets/{dispatched}/co-reply", "street", {"text": "协办意见"}),
    E("POST", "/tickets/{signed}/return", "street", {"reason": "不属于本街道职责范围"}),
    E("POST", "/tickets/{returned}/arbitrate", "dispatcher", {"uphold": True, "note": "改派景山街道",
                                                            "lead_unit": "{other_street_unit}"}),
    E("POST", "/tickets/{dispatched}/category", "dispatcher", {"category": "01.01.01", "reason": "类别选错了"}),
    E("POST", "/tickets/{signed}/extension", "street", {"working_days": 3, "reason": "需协调多个部门"}),
    E("POST", "/tickets/{signed}/extension/decision", "dispatcher", {"approve": True, "note": "同意"}),
    E("POST", "/tickets/{dispatched}/supervise", "supervisor", {"text": "请加快办理"}),
    E("POST", "/tickets/{dispatched}/remind", "calltaker", {"text": "市民再次来电催办"}),
    E("POST", "/tickets/{replied}/callback", "callback", {"reached": True, "resolved": "resolved",
                                                          "satisfied": "satisfied"}),
    E("POST", "/tickets/{citizen_replied}/rate", "citizen", {"resolved": "resolved", "satisfied": "satisfied"}),
    E("POST", "/tickets/{new}/merge", "dispatcher", {"parent": "{new2}", "confirm": True}),
    E("POST", "/tickets/{merged}/unmerge", "dispatcher", {"reason": "并非同一事项"}),
    E("POST", "/tickets/{closed}/reopen", "supervisor", {"reason": "市民反映仍未解决"}),
    E("POST", "/dispatch/suggest", "dispatcher", {"text": "东华门大街路灯不亮", "address": "东华门大街", "top": 3}),
    E("POST", "/dispatch/tickets/{new}/accept", "dispatcher", {"rank": 1, "confirm": True}),
    E("POST", "/grids/import", "admin", {"geojson": {"type": "FeatureCollection", "features": []}, "dry_run": True}),
    E("POST", "/grids/duties", "street", {"street": "110101001", "category": "01.01.01", "level": "street", "note": "本街道"}),
    E("DELETE", "/grids/duties/{duty}", "admin", None),
    E("POST", "/grids/patrols", "grid", {"grid": "{grid}"}),
    E("POST", "/grids/patrols/{patrol}/points", "grid", {"points": [{"lon": 116.40, "lat": 39.91}]}),
    E("POST", "/grids/patrols/{patrol}/stop", "grid", None),
    E("POST", "/grids/reports", "grid", {"text": "井盖破损", "grid": "{grid}", "category": "01.01.01"}, form=True),
    E("POST", "/grids/tickets/{dispatched}/escalate", "grid", {"reason": "本网格无法处置"}),
    E("POST", "/grids/tickets/{dispatched}/self-handle", "grid", {"note": "已现场处置"}, form=True),
    E("POST", "/grids/tickets/{new}/route", "dispatcher", None),
    E("POST", "/grids/{grid}/redraw", "street", {"geometry": {"type": "Polygon", "coordinates": [
        [[116.40, 39.91], [116.41, 39.91], [116.41, 39.92], [116.40, 39.91]]]}, "note": "重划"}),
    E("POST", "/grids/{grid}/members", "street", {"username": "grid", "post": "worker"}),
    E("DELETE", "/grids/{grid}/members/{member}", "street", None),
    E("PUT", "/grids/{grid}/info", "street", {"population": 1200, "households": 400, "buildings": 12}),
    E("POST", "/grids/{grid}/places", "street", {"kind": "school", "name": "东华门小学"}),
    E("POST", "/grids/{grid}/care", "street", {"kind": "elderly_alone", "name": "王大爷", "phone": "13900002222"}),
    E("POST", "/whistles", "street", {"title": "早市占道经营", "description": "需城管联合处置",
                                      "summons": [{"unit": "{dept_unit}"}]}),
    E("POST", "/whistles/{whistle_approval}/approve", "deputy", {"approved": True, "note": "同意"}),
    E("POST", "/whistles/{whistle}/attachments", "street", None, form=True),
    E("POST", "/whistles/{whistle_approval}/review", "street", {"note": "科室审核"}),
    E("POST", "/whistles/{whistle}/summons", "street", {"unit": "{free_unit}", "due": "2026-12-31"}),
    E("POST", "/whistles/{whistle_dept}/summons/{summons_dept}/check-in", "dept", {"person": "黄磊", "note": "已到场"}),
    E("POST", "/whistles/{whistle_dept}/summons/{summons_dept}/objection", "dept", {"reason": "不属于本局职责"}),
    E("POST", "/whistles/{whistle}/summons/{summons}/decision", "district", {"uphold": False, "note": "驳回"}),
    E("POST", "/whistles/{whistle}/summons/{summons}/withdraw", "street", {"reason": "经会商无需该单位参与"}),
    E("POST", "/whistles/{whistle}/tasks", "street", {"unit": "{dept_unit}", "title": "清理摊点",
                                                      "criterion": "路面无摊点", "due": "2026-12-31"}),
    E("POST", "/whistles/{whistle_task}/tasks/{task_dept}/progress", "dept", {"text": "已清理一半", "done": False}),
    E("POST", "/whistles/{whistle_task}/tasks/{task_dept}/evidence", "dept", {"text": "已完成"}, form=True),
    E("POST", "/whistles/{whistle}/tasks/{task}/acceptance", "street", {"accept": True, "note": "验收合格"}),
    E("POST", "/whistles/{whistle}/close", "street", {"result": "已办结"}),
    E("POST", "/whistles/{whistle}/cancel", "street", {"reason": "已自行协调解决"}),
    E("POST", "/whistles/{whistle}/supervise", "district", {"unit": "{dept_unit}", "text": "请按时报到"}),
    E("POST", "/whistles/{whistle}/raise-to-district", "street", {"reason": "城管部门逾期未报到，需区里协调"}),
    E("POST", "/whistles/{whistle}/summons/{summons}/deadline", "street", {"due": "2026-12-31", "reason": "部门申请延期"}),
    E("POST", "/whistles/{whistle}/tasks/{task}/deadline", "street", {"due": "2026-12-31", "reason": "需现场勘验"}),
    E("POST", "/whistles/{whistle}/report-to-district", "street", {"unit": "{dept_unit}", "reason": "拒不报到"}),
    E("POST", "/whistles/{whistle}/ratings", "street", {"unit": "{dept_unit}", "timeliness": 5, "effort": 5,
                                                        "result": 5, "comment": "好"}),
    E("POST", "/warnings/sensors", "admin", {"code": "S-AUDIT-1", "name": "东华门积水监测", "kind": "water_level",
                                             "lon": 116.40, "lat": 39.91, "threshold_high": 0.5}),
    E("PATCH", "/warnings/sensors/{sensor}", "admin", {"threshold_high": 5.0}),
    E("POST", "/warnings/sensors/{sensor}/readings", "admin", {"value": 1.5, "at": "2026-12-01T10:00:00+08:00"}),
    E("POST", "/quality/flags/{reply_flag}/appeal", "street", {"reason": "答复已写明清运结果"}),
    E("POST", "/quality/flags/{reply_flag_pending}/decision", "supervisor", {"uphold": False, "reason": "经复核撤销"}),
)


# ── the bad inputs ────────────────────────────────────────────────────────────

@dataclass(frozen=True)
class Case:
    label: str
    body: object = None        # bytes (sent as they are), or a dict (JSON or the form's fields)
    path: str | None = None    # another path than the endpoint's
    refused: bool = True       # must be refused (else: may be accepted, never a 500)
    field: str | None = None   # the field a refusal must name
    form: bool = False
    headers: tuple = ()        # extra request headers: (("HTTP_IDEMPOTENCY_KEY", "…"),)


BAD_BY_TYPE = {
    # (label, value, must be refused)
    "string": [("a number", 123, True), ("a list", ["a"], True), ("an object", {"a": 1}, True),
               ("null", None, True), ("empty", "", False), ("100,000 characters", LONG, False),
               ("control characters", "东华门\x01\x1b[31m\x7f\u200b大街", False),
               ("a lone surrogate", "东华门\ud800大街", True)],
    "choice": [("another word", "fax", True), ("a number", 123, True), ("null", None, True), ("empty", "", True),
               ("100,000 characters", LONG, True), ("control characters", "phone\x01\x7f", True)],
    "integer": [("text", "abc", True), ("a float", 1.5, True), ("yes", "yes", True), ("true", True, True),
                ("a list", [1], True), ("null", None, True), ("negative", -1, False), ("2**63", HUGE, True),
                ("a record that does not exist", MISSING_ID, None),  # refused where the field names a record
                ("an empty string", "", True)],
    "number": [("text", "abc", True), ("true", True, True), ("a list", [1], True), ("null", None, True),
               ("2**63", HUGE, False), ("-1e308", -1e308, False)],
    "boolean": [("yes", "yes", True), ("2", 2, True), ("null", None, True), ("a list", [True], True)],
    "array": [("text", "abc", True), ("an object", {"a": 1}, True), ("null", None, True), ("[null]", [None], True),
              ("[2**63]", [HUGE], True)],
    "object": [("text", "abc", True), ("a list", [], True), ("null", None, True)],
}


def schema_of(openapi, endpoint, path_template):
    """(content type, {field: (type, nullable)}, required) of the endpoint's request body, from the OpenAPI schema."""
    op = openapi["paths"][path_template][endpoint.method.lower()]
    content = op.get("requestBody", {}).get("content", {})
    if not content:
        return None, {}, []
    content_type, media = next(iter(content.items()))
    schema = media["schema"]
    ref = schema.get("$ref")
    if ref:
        schema = openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    fields = {}
    for name, prop in schema.get("properties", {}).items():
        types = [prop.get("type")] if prop.get("type") else [a.get("type") for a in prop.get("anyOf", [])]
        nullable = "null" in types
        kind = next((t for t in types if t and t != "null"), "object")
        fields[name] = ("choice" if "enum" in prop else kind, nullable)
    return content_type, fields, schema.get("required", [])


#: Fields holding a date or a time: wrong formats must be refused naming them; another zone, or none (read as
#: Beijing time), is a date all the same.
DATES = {"due": [("31/12/2026", True), ("2026-13-45", True), ("next Friday", True), ("2026-12-31T18:00:00Z", False),
                 ("2026-12-31T18:00", False)],
         "at": [("31/12/2026 10:00", True), ("2026-02-30T10:00:00+08:00", True), ("1700000000000", True),
                ("2026-12-01T02:00:00Z", False), ("2026-12-01T10:00:00", False)]}


#: Bad values a field's type does not tell: {endpoint key: [(field, value)]}, each to be refused naming the field.
KNOWN_BAD = {
    "POST /tickets/{replied}/callback": [("method", "fax"), ("method", "电话回访" * 3)],  # any text was stored
    "POST /grids/reports": [("idempotency_key", "k" * 100)],  # stored on SQLite, a 500 on PostgreSQL
}

#: Request headers refused: {endpoint key: [(header, value, the field the refusal names)]}.
BAD_HEADERS = {
    "POST /tickets": [("HTTP_IDEMPOTENCY_KEY", "k" * 100, "idempotency_key")],  # as the report's key
}

#: Fields naming a record by its id: an id of no record is refused, never dropped.
RECORD_FIELDS = ("lead_unit", "suggested_unit", "parent", "unit")


def cases_for(endpoint, fields, required, valid):
    found = []
    found += [Case(f"{name}: {value[:20]}", {**valid, name: value}, field=name, form=endpoint.form)
              for name, value in KNOWN_BAD.get(endpoint.key, ())]
    found += [Case(f"header {header}: {value[:20]}", valid, field=name, headers=((header, value),))
              for header, value, name in BAD_HEADERS.get(endpoint.key, ())]
    for name, values in DATES.items():
        if name in fields:
            found += [Case(f"{name}: {value}", {**valid, name: value}, refused=refused,
                           field=name if refused else None) for value, refused in values]
    if endpoint.body is not None and not endpoint.form:
        found += [Case("invalid JSON", b'{"text": "\xe8\xb7\xaf'), Case("not JSON at all", b"text=abc"),
                  Case("a JSON array", b"[]"), Case("a JSON string", b'"abc"'), Case("JSON null", b"null"),
                  Case("a JSON number", b"42"), Case("an empty body", b""),
                  Case("an unknown field", {**valid, "no_such_field": "x", "id": 1, "state": "closed"},
                       refused=False)]
        for name in required:
            found.append(Case(f"{name} missing", {k: v for k, v in valid.items() if k != name}, field=name))
    for name, (kind, nullable) in fields.items():
        if endpoint.form and kind in ("array", "object"):
            continue  # files
        for label, value, refused in BAD_BY_TYPE.get(kind, []):
            if value is None and nullable:
                refused = False
            if refused is None:
                refused = name in RECORD_FIELDS
            if endpoint.form:
                if not isinstance(value, str) or "\ud800" in value:
                    continue  # a form field is text, in UTF-8 (a lone surrogate has no bytes there)
                if kind == "boolean":
                    refused = False  # a form's checkbox sends "on" (or what its value says): read as HTML does
                found.append(Case(f"{name}: {label}", {**valid, name: value}, refused=refused,
                                  field=name if refused else None, form=True))
                continue
            found.append(Case(f"{name}: {label}", {**valid, name: value}, refused=refused,
                              field=name if refused and label != "a lone surrogate" else None))
    return found


def path_cases(endpoint, samples):
    """Records that do not exist, and ids past the database's integers, in each of the path's places."""
    found = []
    for name in re.findall(r"{(\w+)}", endpoint.path):
        for label, value in (("does not exist", MISSING_ID), ("2**63", HUGE), ("-1", -1)):
            if name in ("grid", "sensor") and label != "does not exist":
                continue
            ids = {**samples.ids, name: value if name not in ("grid", "sensor") else "NO-SUCH-CODE"}
            found.append(Case(f"path {name} {label}", path=fill(endpoint.path, ids)))
        if endpoint.user in ("street", "grid") and name in TICKET_SAMPLES:  # 景山's ticket, for 东华门's staff
            found.append(Case(f"path {name}: another street's", path=fill(endpoint.path, {
                **samples.ids, name: samples["other_ticket"]})))
        if endpoint.user == "street" and name == "grid":
            found.append(Case("path grid: another street's", path=fill(endpoint.path, {
                **samples.ids, "grid": samples["other_grid"]})))
    return found


TICKET_SAMPLES = ("new", "dispatched", "signed", "contacted", "replied", "closed", "returned", "merged")


def fill(text, ids):
    return re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), text)


def filled(value, ids):
    if isinstance(value, str) and re.fullmatch(r"{\w+}", value):
        return ids[value[1:-1]]
    if isinstance(value, str):
        return fill(value, ids)
    if isinstance(value, dict):
        return {k: filled(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [filled(v, ids) for v in value]
    return value


# ── asking ────────────────────────────────────────────────────────────────────

@dataclass
class Asked:
    status: int
    body: object
    raised: str | None
    changed: dict


def as_json(body):
    """The body in UTF-8 (100,000 characters weigh 300 kB, not 600 kB of \\u escapes); a lone surrogate, which
    UTF-8 cannot hold, escaped as a client's JSON library writes it."""
    try:
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body)


def ask(client, endpoint, path, case, token, language=None):
    """The answer, the exception a view raised and the rows changed, in a savepoint rolled back afterwards."""
    raised = []

    def on_exception(sender, request=None, **kwargs):
        import sys
        import traceback

        raised.append("".join(traceback.format_exception(*sys.exc_info())[-3:]))

    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    headers.update(case.headers)
    got_request_exception.connect(on_exception)
    try:
        with transaction.atomic():
            before = row_counts()
            url = "/api/v1" + path
            if case.form or endpoint.form:
                data = case.body if isinstance(case.body, dict) else {}
                response = client.generic(endpoint.method, url, **headers) if endpoint.method != "POST" else \
                    client.post(url, data, **headers)
            elif isinstance(case.body, bytes):
                response = client.generic(endpoint.method, url, case.body, content_type="application/json", **headers)
            elif case.body is None:
                response = client.generic(endpoint.method, url, b"", content_type="application/json", **headers) \
                    if endpoint.body is not None else client.generic(endpoint.method, url, **headers)
            else:
                response = client.generic(endpoint.method, url, as_json(case.body), content_type="application/json",
                                          **headers)
            after = row_counts()
            transaction.set_rollback(True)
    finally:
        got_request_exception.disconnect(on_exception)
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        body = response.content[:200]
    return Asked(response.status_code, body, raised[0] if raised else None,
                 {k: after[k] - before[k] for k in before if after[k] != before[k]})


def judge(case, asked, language="zh-hans"):
    """What is wrong with the answer to a bad input ('' when nothing)."""
    if asked.raised or asked.status >= 500:
        return f"{asked.status}: {asked.raised or asked.body}"
    if asked.status not in REFUSED:
        if case.refused:
            return f"accepted ({asked.status}), changed {asked.changed}"
        return ""
    if asked.changed:
        return f"refused ({asked.status}) but wrote {asked.changed}"
    body = asked.body
    if not isinstance(body, dict) or not SHAPE <= set(body):
        return f"refused ({asked.status}) not in the API's error shape: {body!r}"
    message = str(body["message"])
    if language == "en" and HAN.search(message.split("“")[0].split("「")[0]):
        return f"English asked, the message is not: {message}"
    if language != "en" and not HAN.search(message):
        return f"the message is not Chinese: {message}"
    if case.field and asked.status == 422:
        named = {body.get("field")} | {e.get("field") for e in body.get("errors", [])}
        if not any(n and (n == case.field or n.startswith(case.field + ".")) for n in named):
            return f"refusal does not name {case.field}: {body}"
    return ""


# ── the audit: every case asked once for the module ───────────────────────────

def extra_samples(client, keys, samples):
    """A sensor, a patrol and a grid member to address (made through the API, as a caller would)."""
    from jiesu.grids.models import GridMember

    sensor = client.post("/api/v1/warnings/sensors", json.dumps(
        {"code": "S-AUDIT-0", "name": "东华门积水", "kind": "water_level", "lon": 116.40, "lat": 39.91,
         "threshold_high": 0.5}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {keys['admin']}")
    samples.ids["sensor"] = "S-AUDIT-0" if sensor.status_code in (200, 201) else "NO-SENSOR"
    patrol = client.post("/api/v1/grids/patrols", json.dumps({"grid": samples["grid"]}),
                         content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {keys['grid']}")
    samples.ids["patrol"] = patrol.json().get("id", MISSING_ID) if patrol.status_code in (200, 201) else MISSING_ID
    member = GridMember.objects.filter(grid__code=samples["grid"]).first()
    samples.ids["member"] = member.pk if member else MISSING_ID


@pytest.fixture(scope="module")
def audit(django_db_setup, django_db_blocker):
    """{endpoint key: (the valid request's status, [(case, language, what is wrong)])}, the city rolled back."""
    from jiesu.api import api

    openapi = api.get_openapi_schema(path_prefix="/api/v1")
    templates = {re.sub(r"{[^}]+}", "{}", p): p for p in openapi["paths"]}
    found = {}
    with django_db_blocker.unblock():
        with transaction.atomic():
            started = time.perf_counter()
            build_demo_city(60, whole=False)
            keys = tokens()
            samples = find_samples(keys)
            client = Client(raise_request_exception=False)
            extra_samples(client, keys, samples)
            built = time.perf_counter() - started
            asked = 0
            for endpoint in ENDPOINTS:
                template = templates["/api/v1" + re.sub(r"{[^}]+}", "{}", endpoint.path)]
                _type, fields, required = schema_of(openapi, endpoint, template)
                valid = filled(endpoint.body or {}, samples.ids)
                path = fill(endpoint.path, samples.ids)
                token = keys[endpoint.user]
                ok = ask(client, endpoint, path, Case("valid", valid or None, refused=False), token)
                problems = []
                if ok.raised or ok.status >= 500:
                    problems.append(("valid", "zh-hans", f"{ok.status}: {ok.raised or ok.body}"))
                for case in cases_for(endpoint, fields, required, valid) + path_cases(endpoint, samples):
                    languages = ("zh-hans", "en") if case.label in ("invalid JSON", "a JSON array") or \
                        case.label.startswith("path") and "exist" in case.label else ("zh-hans",)
                    for language in languages:
                        asked += 1
                        try:
                            answer = ask(client, endpoint, case.path or path, case, token, language)
                        except Exception as exc:  # raised through the test client: a 500
                            problems.append((case.label, language, f"500: {type(exc).__name__}: {exc}"))
                            continue
                        wrong = judge(case, answer, language)
                        if wrong:
                            problems.append((case.label, language, wrong))
                found[endpoint.key] = (ok.status, problems)
            print(f"\naudit: city built in {built:.1f} s, {asked} bad requests in "
                  f"{time.perf_counter() - started - built:.1f} s")
            transaction.set_rollback(True)
    return found


def router_write_endpoints():
    from jiesu.api import api

    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for op in view.operations:
                for method in op.methods:
                    if method != "GET":
                        yield method, re.sub(r"{(?:\w+:)?(\w+)}", "{}", prefix + path)


def test_every_write_endpoint_is_audited():
    audited = {(e.method, re.sub(r"{\w+}", "{}", e.path)) for e in ENDPOINTS}
    missing = sorted(set(router_write_endpoints()) - audited)
    assert not missing, f"write endpoints without a sample in ENDPOINTS: {missing}"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.key)
def test_bad_input_is_refused_in_words_and_writes_nothing(audit, endpoint):
    status, problems = audit[endpoint.key]
    assert not problems, f"{endpoint.key} (valid request: {status}):\n" + "\n".join(
        f"  {label} [{language}]: {str(wrong)[:600]}" for label, language, wrong in problems)
