"""The production entry point (gunicorn jiesu.wsgi:application): it refuses the demo's secret key and DEBUG unless
JIESU_DEMO=1 says this is a demo or development start (accounts.deploy; `jiesu run` sets it)."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiesu.settings")
application = get_wsgi_application()

from jiesu.accounts.deploy import refuse_unsafe_start  # noqa: E402  (needs the settings loaded above)

refuse_unsafe_start()
