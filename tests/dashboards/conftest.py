import pytest

from dashboards.worlds import geo_world


@pytest.fixture
def world(db, settings):
    return geo_world(settings)
