"""Helpers for tests, shared by every domain's tests (page tests in particular).

Nothing here is imported by the application itself; Playwright is imported lazily.
"""
from __future__ import annotations

import re
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = PROJECT_DIR / "docs" / "screenshots"
FAILURE_DIR = PROJECT_DIR / "test-results"  # git-ignored

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def safe_name(name: str) -> str:
    """A file name from a free text (e.g. a pytest node id): 'a/b::c[x]' → 'a-b-c-x'."""
    return re.sub(r"[^\w.\-\u4e00-\u9fff]+", "-", name).strip("-")[:150] or "page"


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a screenshot of `page` to docs/screenshots/<name>.png and return the path.

    These are the pictures the docs and README show, so give them stable, descriptive
    names ("intake-form", "dispatch-queue").
    """
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{safe_name(name)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def failure_screenshot(page, nodeid: str) -> Path | None:
    """Used by the `page` fixture when a test fails: test-results/<nodeid>.png (never raises)."""
    try:
        FAILURE_DIR.mkdir(parents=True, exist_ok=True)
        path = FAILURE_DIR / f"{safe_name(nodeid)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
    except Exception:  # noqa: BLE001 — the page may be closed or crashed; the failure itself matters
        return None


def force_login(page, live_server, user) -> None:
    """Log `user` in for the browser `page` without going through the login form.

    Creates a session the Django way (test Client.force_login) and hands its cookie to
    the browser context, so the next page.goto(live_server.url + ...) is authenticated.
    Needs transactional database access (live_server gives it) so the live server sees
    the session row.
    """
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": cookie.value,
        "url": live_server.url,
    }])
