"""/api/v1/units: the picker search, one unit, point location; the admin pages."""
import pytest

from jiesu.accounts.models import ApiToken, Role, User
from jiesu.units import geometry as geo
from jiesu.units.models import Unit

URL = "/api/v1/units"


@pytest.fixture
def api(client, small_tree):
    user = User.objects.create_user("caller", password="x", role=Role.CALL_TAKER)
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_search(api):
    rows = api.get(URL, {"q": "东华门"}).json()
    assert rows[0]["code"] == "110101001" and rows[0]["name"] == "东华门街道"
    assert rows[0]["parent"] == {"code": "110101", "name": "东城区", "kind": "district"}
    assert rows[0]["district"] == "110101" and rows[0]["street"] == "110101001"
    assert "东华门街道办事处" in rows[0]["aliases"] and rows[0]["schematic"] is True
    assert len(rows[0]["center"]) == 2 and "geometry" not in rows[0]
    rows = api.get(URL, {"q": "东华门", "kind": "community,grid", "limit": 3}).json()
    assert len(rows) == 3 and {r["kind"] for r in rows} <= {"community", "grid"}
    rows = api.get(f"{URL}?kind=department&kind=enterprise&q=水").json()
    assert {r["code"] for r in rows} >= {"CD-SWJ", "EN-WATER"}


@pytest.mark.django_db
def test_search_refuses_an_unknown_kind(api):
    response = api.get(URL, {"kind": "planet"})
    assert response.status_code == 400
    assert response.json()["field"] == "kind" and "planet" in response.json()["message"]
    assert api.get(URL, {"limit": 0}).status_code == 422


@pytest.mark.django_db
def test_detail(api):
    body = api.get(f"{URL}/110101001").json()
    assert body["name"] == "东华门街道" and body["kind"] == "street"
    assert [a["code"] for a in body["ancestors"]] == ["110000", "110101"]
    assert [c["code"] for c in body["children"]] == ["110101001001", "110101001002", "110101001003"]
    assert body["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert api.get(f"{URL}/110101001", {"geometry": "false"}).json()["geometry"] is None
    dept = api.get(f"{URL}/110101-CGJ").json()
    assert dept["kind"] == "department" and dept["district"] == "110101" and dept["geometry"] is None
    missing = api.get(f"{URL}/999999")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


@pytest.mark.django_db
def test_locate(api):
    grid = Unit.objects.get(code="110101001002001")
    lon, lat = geo.representative_lonlat(geo.as_shape(grid.geometry))
    body = api.get(f"{URL}/locate", {"lon": lon, "lat": lat}).json()
    assert body["grid"]["code"] == grid.code
    assert body["community"]["code"] == "110101001002"
    assert body["street"]["code"] == "110101001" and body["district"]["code"] == "110101"
    assert body["grid"]["parent"]["code"] == "110101001002"
    outside = api.get(f"{URL}/locate", {"lon": 121.47, "lat": 31.23})
    assert outside.status_code == 404 and outside.json()["field"] == "lon"
    assert api.get(f"{URL}/locate", {"lon": 500, "lat": 39}).status_code == 422
    assert api.get(f"{URL}/locate", {"lon": 116.4}).status_code == 422


@pytest.mark.django_db
def test_needs_a_login_or_a_token(client, small_tree):
    assert client.get(URL, {"q": "东城"}).status_code == 401
    user = User.objects.create_user("system", password="x", role=Role.DISPATCHER)
    token = ApiToken.objects.create(user=user, name="test")
    response = client.get(URL, {"q": "东城区"}, headers={"Authorization": f"Bearer {token.key}"})
    assert response.status_code == 200 and response.json()[0]["code"] == "110101"


@pytest.fixture
def admin_client(admin_client, settings):
    """The admin without the site menu's context processor: these tests are about the
    units admin, not about the other apps' pages the menu links to."""
    engine = {**settings.TEMPLATES[0]}
    engine["OPTIONS"] = {**engine["OPTIONS"], "context_processors": [
        p for p in engine["OPTIONS"]["context_processors"] if p != "jiesu.core.context.navigation"]}
    settings.TEMPLATES = [engine, *settings.TEMPLATES[1:]]
    return admin_client


@pytest.mark.django_db
def test_admin_pages(admin_client, small_tree):
    assert admin_client.get("/admin/units/unit/", {"q": "东华门"}).status_code == 200
    assert admin_client.get("/admin/units/unit/", {"kind__exact": "grid"}).status_code == 200
    street = Unit.objects.get(code="110101001")
    assert admin_client.get(f"/admin/units/unit/{street.pk}/change/").status_code == 200


@pytest.mark.django_db
def test_admin_rejects_a_bad_boundary_and_moves_subtrees(admin_client, small_tree):
    street = Unit.objects.get(code="110101001")
    xicheng = Unit.objects.get(code="110102")
    form = {"code": street.code, "name": street.name, "kind": "street", "parent": xicheng.pk,
            "aliases": street.aliases, "phone": "", "active": "on", "schematic": "on",
            "center_lon": street.center_lon, "center_lat": street.center_lat,
            "geometry": '{"type": "LineString", "coordinates": [[116, 39], [117, 40]]}'}
    response = admin_client.post(f"/admin/units/unit/{street.pk}/change/", form)
    assert response.status_code == 200 and "LineString" in response.content.decode()
    form["geometry"] = "null"
    response = admin_client.post(f"/admin/units/unit/{street.pk}/change/", form)
    assert response.status_code == 200 and "110102" in response.content.decode()  # a 西城 street has a 西城 code
    form["code"] = "110102050"
    response = admin_client.post(f"/admin/units/unit/{street.pk}/change/", form)
    assert response.status_code == 302
    grid = Unit.objects.get(code="110102050001001")  # the codes below follow the street's new code
    assert grid.district_id == xicheng.pk and grid.path.startswith(Unit.objects.get(pk=street.pk).path)


@pytest.mark.django_db
def test_admin_retile_action(admin_client, small_tree):
    street = Unit.objects.get(code="110101001")
    response = admin_client.post("/admin/units/unit/", {"action": "retile", "_selected_action": [street.pk]},
                                 follow=True)
    assert response.status_code == 200
    assert "9" in [str(m) for m in response.context["messages"]][0]  # 3 communities + 6 grids
