"""Bad input on the grid API answers 4xx or a sensible page, never a server error (audit s36)."""
from jiesu.grids import services

from .test_api import API, as_user


def test_list_limits_out_of_range_are_clamped_not_a_server_error(gw, client):
    services.file_report(gw.w1, services.ReportData(text="路边暴露垃圾", category_code=gw.trash.code,
                                                     lon=116.385, lat=39.915))
    services.finish_patrol(services.start_patrol(gw.w1, gw.g1), services.timezone.now())
    client.raise_request_exception = False
    c = as_user(client, gw.w1)
    for url in ("/patrols", "/reports"):
        for limit in (-1, 0, 100000):
            r = c.get(f"{API}{url}", {"limit": limit})
            assert r.status_code == 200, (url, limit, r.status_code)
            assert len(r.json()) == 1, (url, limit)


def test_one_bad_track_point_does_not_lose_the_batch(gw, client):
    """A phone sends its buffered positions in batches: one glitch (a fix at 0,0, a clock far ahead) must not
    throw away the good points of the batch — those are recorded, the bad ones named and skipped."""
    from datetime import timedelta

    from django.utils import timezone

    from jiesu.grids.models import Patrol

    c = as_user(client, gw.w1)
    pid = c.post(f"{API}/patrols", {"grid": gw.g1.code}, content_type="application/json").json()["id"]
    ahead = (timezone.now() + timedelta(hours=2)).isoformat()
    r = c.post(f"{API}/patrols/{pid}/points", {"points": [
        {"lon": 116.385, "lat": 39.911}, {"lon": 0, "lat": 0}, {"lon": 116.385, "lat": 39.919},
        {"lon": 116.386, "lat": 39.919, "at": ahead}]}, content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["recorded"] == 2
    assert [s["point"] for s in body["skipped"]] == [2, 4]
    assert "本市范围之外" in body["skipped"][0]["message"]
    assert Patrol.objects.get(pk=pid).points == 2


def test_a_track_points_unreadable_accuracy_is_left_empty(gw, client):
    """An accuracy that is no distance (NaN, negative) is not stored as one: the point is kept, its accuracy empty."""
    from jiesu.grids.models import TrackPoint

    c = as_user(client, gw.w1)
    pid = c.post(f"{API}/patrols", {"grid": gw.g1.code}, content_type="application/json").json()["id"]
    r = c.post(f"{API}/patrols/{pid}/points", {"points": [
        {"lon": 116.385, "lat": 39.911, "accuracy": "nan"}, {"lon": 116.385, "lat": 39.912, "accuracy": -5},
        {"lon": 116.385, "lat": 39.913, "accuracy": 12.5}]}, content_type="application/json")
    assert r.json() == {"recorded": 3}
    assert list(TrackPoint.objects.order_by("lat").values_list("accuracy_m", flat=True)) == [None, None, 12.5]
