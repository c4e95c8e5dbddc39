"""The REST API root: /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs)."""
from ninja import NinjaAPI

from jiesu.core.api_support import ObjectParser, install_error_handlers, auth_methods

api = NinjaAPI(
    title="Jiesu 接诉 API",
    version="1",
    description="12345 接诉即办: intake and every lifecycle action. "
                "Authenticate with `Authorization: Bearer <token>` (tokens in the admin) or a session.",
    auth=auth_methods(),
    urls_namespace="api",
    parser=ObjectParser(),
)
install_error_handlers(api)

from jiesu.tickets.api import router as tickets_router  # noqa: E402
from jiesu.units.api import router as units_router  # noqa: E402
from jiesu.categories.api import router as categories_router  # noqa: E402

api.add_router("/tickets", tickets_router)
api.add_router("/units", units_router)
from jiesu.dispatch.api import router as dispatch_router  # noqa: E402

api.add_router("/categories", categories_router)
api.add_router("/dispatch", dispatch_router)
from jiesu.grids.api import router as grids_router  # noqa: E402

api.add_router("/grids", grids_router)
from jiesu.whistles.api import router as whistles_router  # noqa: E402

api.add_router("/whistles", whistles_router)

from jiesu.warnings.api import router as warnings_router  # noqa: E402

api.add_router("/warnings", warnings_router)
from jiesu.kpi.api import router as kpi_router  # noqa: E402

api.add_router("/kpi", kpi_router)
from jiesu.quality.api import router as quality_router  # noqa: E402

api.add_router("/quality", quality_router)
