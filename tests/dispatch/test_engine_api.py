"""GET /suggest and /locate (the router on its own; mounted at /api/v1/dispatch)."""
import pytest
from ninja.testing import TestClient

from jiesu.core.errors import DomainError
from jiesu.dispatch import engine
from jiesu.dispatch.api import router

from .test_engine import Stub
from .test_router_fixtures import dispatch_rows_once, shared_dispatch_db as dispatch_db  # noqa: F401  (fixtures: the rows built once for the module)


@pytest.fixture
def client(dispatch_db, monkeypatch):
    stub = Stub([("03.01.01", 0.7), ("05.03.01", 0.2), ("02.01.01", 0.1)])
    monkeypatch.setattr(engine, "default_classifier", lambda ref=None: stub)
    return TestClient(router)


def test_suggest(client):
    r = client.get("/suggest", query_params={"text": "王府井大街有人占道经营", "address": "东城区王府井大街"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert len(body["suggestions"]) == 3
    first = body["suggestions"][0]
    assert {k: first["category"][k] for k in ("code", "name", "path")} == {
        "code": "03.01.01", "name": "占道经营", "path": "城市管理 / 街面秩序 / 占道经营"}
    assert first["lead"]["code"] == "110101001" and first["copy_to"]["code"] == "110101"
    assert first["explanation"].startswith("分类「占道经营」")
    assert body["place"]["street"]["code"] == "110101001" and body["place"]["source"] == "address"
    assert body["classifier"] == "stub-1" and body["ms"] >= 0 and body["emergency"] is None
    assert body["cold_start"] is False
    fire = client.get("/suggest", query_params={"text": "王府井大街一家饭店着火了，冒黑烟", "address": "东城区王府井大街"})
    assert fire.status_code == 200 and fire.json()["emergency"]["number"] == "119"


def test_a_cold_start_model_is_named_so(dispatch_db):
    r = TestClient(router).get("/suggest", query_params={"text": "王府井大街有人占道经营", "address": "东城区王府井大街"})
    assert r.status_code == 200 and r.json()["cold_start"] is True
    assert r.json()["classifier"].startswith("cold-start-")


def test_suggest_with_coordinates_in_a_declared_datum(client, dispatch_db):
    from jiesu.dispatch.coords import from_wgs84
    from jiesu.units.models import Unit

    grid = Unit.objects.filter(code="110101001001001").defer("geometry").get()
    lon, lat = from_wgs84(grid.center_lon, grid.center_lat, "bd09")
    r = client.get("/suggest", query_params={"text": "占道经营", "lon": lon, "lat": lat, "coord_system": "bd09"})
    assert r.status_code == 200, r.content
    assert r.json()["place"]["grid"]["code"] == "110101001001001"
    assert r.json()["place"]["source"] == "coordinates"


def test_locate(client):
    r = client.get("/locate", query_params={"address": "西城区金融大街"})
    assert r.status_code == 200
    body = r.json()
    assert body["street"]["code"] == "110102011" and body["level"] == "street"
    assert "金融大街" in body["matched"]
    r = client.get("/locate", query_params={"address": "火星"})
    assert r.status_code == 200 and r.json()["unit"] is None and r.json()["confidence"] == 0
    assert "转12345热线中心人工派单" in r.json()["reason"]


def test_bad_input_names_the_field(client):
    with pytest.raises(DomainError) as exc:
        client.get("/locate", query_params={"lon": 116.4, "lat": 39.9, "coord_system": "mars"})
    assert exc.value.field == "coord_system"
    with pytest.raises(DomainError) as exc:
        client.get("/locate")
    assert exc.value.field == "address"
    with pytest.raises(DomainError) as exc:
        client.get("/suggest", query_params={"text": "  "})
    assert exc.value.field == "text"
    for path, params in (("/locate", {"address": "王府井大街"}), ("/suggest", {"text": "占道经营"})):
        with pytest.raises(DomainError) as exc:  # an unknown datum is told at once, coordinates or not
            client.get(path, query_params={**params, "coord_system": "utm"})
        assert exc.value.field == "coord_system"
    assert client.get("/locate", query_params={"address": "王府井大街", "coord_system": "GCJ-02"}).status_code == 200


def test_a_long_text_is_posted(client):
    text = "王府井大街有人占道经营，" + "占道的摊位越来越多，" * 300
    r = client.post("/suggest", json={"text": text, "address": "东城区王府井大街"})
    assert r.status_code == 200, r.content
    assert r.json()["suggestions"][0]["category"]["code"] == "03.01.01" and len(text) > 3000
