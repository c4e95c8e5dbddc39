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
