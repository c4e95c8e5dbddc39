"""The dispatch API's suggestions tell namesakes apart and name their units as accept checks them (audit 11,
findings 2 and 3): each category carries its path, each unit its id, and expect_lead takes the id or the code."""
from jiesu.tickets.models import State, Ticket
from tickets.conftest import fast_passwords, world  # noqa: F401  (fixtures)
from tickets.helpers import new_ticket

from .namesake_helpers import STALL, namesake_world  # noqa: F401  (fixture)


def unit(u, kind):
    return {"id": u.pk, "code": u.code, "name": u.name, "kind": kind}


def test_a_suggestion_carries_its_categorys_path_and_its_units_ids(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    ticket = new_ticket(w, text=STALL, category_code="")
    first, second, _third = client.get(f"/api/v1/dispatch/tickets/{ticket.pk}/suggestions").json()["suggestions"]
    assert first["category"] == {"id": w.gbt.pk, "code": "90.09.09006", "name": "占道经营",
                                 "path": "城市管理部件与事件 / 街面秩序类 / 占道经营"}
    assert (first["lead"], first["co"]) == (unit(w.district, "district"), [unit(w.street, "street")])
    assert second["category"]["path"] == "城市管理 / 街面秩序 / 占道经营"  # always, not only for namesakes
    assert second["lead"] == unit(w.street, "street")


def test_suggest_gives_the_path_too(namesake_world, client):
    client.force_login(namesake_world.dispatcher)
    body = client.get("/api/v1/dispatch/suggest", {"text": STALL, "address": "东城区东华门街道"}).json()
    assert [s["category"]["path"] for s in body["suggestions"]][:2] == [
        "城市管理部件与事件 / 街面秩序类 / 占道经营", "城市管理 / 街面秩序 / 占道经营"]
    assert body["place"]["street"]["id"] == namesake_world.street.pk


def test_expect_lead_takes_the_unit_code_the_suggestion_gives(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    ticket = new_ticket(w, text=STALL, category_code="")
    url = f"/api/v1/dispatch/tickets/{ticket.pk}/accept"
    stale = client.post(url, {"rank": 2, "expect_lead": w.district.code}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["error"] == "conflict"
    stale = client.post(url, {"rank": 2, "expect_lead": w.district.pk}, content_type="application/json")
    assert stale.status_code == 409
    assert Ticket.objects.get(pk=ticket.pk).state == State.NEW
    r = client.post(url, {"rank": 2, "expect_category": "01.01.01", "expect_lead": w.street.code},
                    content_type="application/json")
    assert r.status_code == 200
    assert r.json()["category"] == {"id": w.category.pk, "code": "01.01.01", "name": "占道经营",
                                    "path": "城市管理 / 街面秩序 / 占道经营"}
    assert r.json()["lead"] == unit(w.street, "street") and r.json()["accepted_rank"] == 2


def test_expect_lead_takes_the_unit_id(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    ticket = new_ticket(w, text=STALL, category_code="")
    r = client.post(f"/api/v1/dispatch/tickets/{ticket.pk}/accept", {"rank": 1, "expect_lead": w.district.pk},
                    content_type="application/json")
    assert r.status_code == 200 and r.json()["lead"]["id"] == w.district.pk


def test_an_expect_lead_of_neither_kind_is_refused_naming_the_field(namesake_world, client):
    w = namesake_world
    client.force_login(w.dispatcher)
    ticket = new_ticket(w, text=STALL, category_code="")
    for shown, message in (("x" * 41, "所显示的主办单位（expect_lead） 太长：最多 40 个字符。"),
                           (True, "所显示的主办单位（expect_lead） 必须是文本。")):
        r = client.post(f"/api/v1/dispatch/tickets/{ticket.pk}/accept", {"rank": 1, "expect_lead": shown},
                        content_type="application/json")
        assert r.status_code == 422 and (r.json()["field"], r.json()["message"]) == ("expect_lead", message)
    assert Ticket.objects.get(pk=ticket.pk).state == State.NEW
