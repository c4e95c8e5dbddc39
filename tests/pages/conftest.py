"""Page tests: real headless Chromium against pytest-django's live_server.

Write them like tests/pages/test_smoke.py:

    @pytest.mark.django_db(transaction=True)
    def test_something(live_server, page):
        page.goto(live_server.url + "/...")
        ...
        screenshot(page, "something")          # docs/screenshots/something.png

`browser` and `page` come from tests/conftest.py; every test in this folder is marked
`pages` automatically. `force_login(page, live_server, user)` (jiesu.core.tests_support)
logs a user in without the login form.
"""
import pytest


@pytest.fixture
def live_url(live_server):
    """live_url("/path") → absolute URL on the live server."""
    def url(path: str = "/") -> str:
        return live_server.url + path
    return url
