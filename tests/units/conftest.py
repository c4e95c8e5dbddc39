import pytest

from jiesu.units.services import build_org_tree

SMALL = ("110101", "110102")  # 东城区, 西城区: streets and below only there, to stay fast


@pytest.fixture
def small_tree(db):
    """The city, 16 districts, departments; streets/communities/grids in 东城 and 西城."""
    return build_org_tree(districts=SMALL)
