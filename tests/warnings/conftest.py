"""Warning tests. This folder is deliberately not a package: as one it would be imported as
`warnings`, the standard library's module. Test module names here are unique (test_warnings_*)."""
import pytest

from dashboards.worlds import geo_world


@pytest.fixture
def world(db, settings):
    return geo_world(settings)
