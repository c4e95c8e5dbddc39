import pytest

from jiesu.accounts.models import User


@pytest.fixture
def admin_browser(db, client, settings):
    """A logged-in superuser client; admin pages rendered without the site navigation
    (another app's context processor, which these tests are not about)."""
    templates = [dict(t, OPTIONS=dict(t.get("OPTIONS", {}))) for t in settings.TEMPLATES]
    for t in templates:
        t["OPTIONS"]["context_processors"] = [p for p in t["OPTIONS"].get("context_processors", [])
                                              if not p.startswith("jiesu.")]
    settings.TEMPLATES = templates
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(User.objects.create_superuser("root", password="pw"))
    return client
