"""Audit 12 (findings 5, 6, 17): the locator weighs what it knows honestly. A name shared by two places does not
hide a road beside it; a point in a schematic (示意) boundary counts far below an address; a point on the
line between two streets says so."""
from shapely.geometry import box

from jiesu.dispatch.gazetteer import Entry, Gazetteer, derived_entries, entry_confidence, level_of, package_entries
from jiesu.units.geometry import LayeredLocator, Locator

from .test_router_fixtures import by_code, fake_tree


def gazetteer_with(units, *extra):
    rows = derived_entries(units.values()) + package_entries(units.values()) + list(extra)
    return Gazetteer([Entry(name, uid, kind, entry_confidence(name, kind, level_of(units[uid])))
                      for name, kind, uid in rows], units)


def test_an_alias_shared_with_a_district_does_not_hide_the_road_beside_it():
    units = fake_tree()
    codes = by_code(units)
    other_street = codes["110102001"]  # a 西城 street given the alias 东城, as the admin allows with a warning
    plain = gazetteer_with(units).locate("东城王府井大街")
    shared = gazetteer_with(units, ("东城", "alias", other_street.id)).locate("东城王府井大街")
    assert units[plain.unit_id].name == units[shared.unit_id].name == "东华门街道"
    assert shared.confidence == plain.confidence
    assert "王府井大街" in shared.reason


def test_a_place_settled_by_another_name_is_no_surer_than_that_name():
    units = fake_tree()
    codes = by_code(units)
    first, second = codes["110101001001"], codes["110101001002"]
    found = Gazetteer([Entry("红星小区", first.id, "compound", 0.99), Entry("红星小区", second.id, "compound", 0.99),
                       Entry("一社区", first.id, "alias", 0.6)], units).locate("一社区红星小区")
    assert found.unit_id == first.id
    assert found.confidence <= round(0.6 + 0.04, 3)  # the settling name's, and the agreement's small bonus


def test_the_point_index_gives_every_unit_on_a_shared_edge():
    streets = Locator([("west", box(116.0, 39.0, 116.5, 40.0)), ("east", box(116.5, 39.0, 117.0, 40.0))])
    layers = LayeredLocator([("street", streets)])
    assert layers.all_at(116.5, 39.5) == [("street", "west"), ("street", "east")]
    assert layers.all_at(116.25, 39.5) == [("street", "west")]
    assert layers.locate(116.5, 39.5) == ("street", "west") and layers.all_at(118.0, 39.5) == []
