"""URLs for the API tests: the project's, plus the whistle router at /api/v1/whistles when
jiesu/api.py does not mount it yet (it is mounted there with two lines; see docs/whistles.md)."""
from django.urls import path
from ninja import NinjaAPI

from jiesu.api import api as project_api
from jiesu.core.api_support import auth_methods, install_error_handlers
from jiesu.urls import urlpatterns as project_urls
from jiesu.whistles.api import router

mounted = any(r is router for _prefix, r in getattr(project_api, "_routers", []))
if mounted:
    urlpatterns = list(project_urls)
else:
    test_api = NinjaAPI(title="whistles (test)", version="test", auth=auth_methods(), urls_namespace="whistles-test")
    install_error_handlers(test_api)
    test_api.add_router("/whistles", router)
    urlpatterns = [path("api/v1/", test_api.urls)] + list(project_urls)
