"""Smoke test for the page-test machinery: Chromium runs, the live server answers, Chinese renders."""
import pytest


@pytest.mark.django_db(transaction=True)
def test_admin_login_page_is_chinese(live_server, page, tmp_path):
    response = page.goto(live_server.url + "/admin/login/")
    assert response is not None and response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "登录" in page.locator("input[type=submit]").get_attribute("value")
    assert "登录" in page.title()
    path = tmp_path / "admin-login.png"  # not a docs picture: Chromium renders, that is all
    page.screenshot(path=str(path))
    assert path.stat().st_size > 1000


@pytest.mark.django_db(transaction=True)
def test_force_login_helper(live_server, page, django_user_model):
    """force_login hands a Django session to the browser: /admin/ stops redirecting to the login page.

    (Only the redirect is checked, not the admin index itself, so that this infrastructure
    test does not depend on the app's navigation being complete.)
    """
    from jiesu.core.tests_support import force_login

    def admin_status():
        return page.context.request.get(live_server.url + "/admin/", max_redirects=0).status

    assert admin_status() == 302  # anonymous: sent to /admin/login/
    admin = django_user_model.objects.create_superuser("smoke-admin", password="pw")
    force_login(page, live_server, admin)
    assert admin_status() != 302
