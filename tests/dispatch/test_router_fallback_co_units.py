"""Audit 12, finding 10: the catalogue's co units (协办) stay when the lead falls back to the district government,
unless barred themselves; the explanation names them (pure: no database)."""
from .test_router import World


def barred_street_with_a_citywide_co_unit():
    world = World()
    world.add(world.c["03.01.01"], unit=world.u["EN-WATER"], role="co")
    world.add(world.c["03.01.01"], "street", negative=True, territory=world.u["110101"])  # the lead is barred
    return world


def test_the_co_unit_stays_with_the_district_fallback():
    world = barred_street_with_a_citywide_co_unit()
    best = world.table().route("03.01.01", world.place("110101001"))[0]
    assert best.mode == "fallback_district" and best.lead.code == "110101"
    assert [u.code for u in best.co] == ["EN-WATER"]
    assert "协办：" in best.explanation and world.u["EN-WATER"].name in best.explanation


def test_a_barred_co_unit_is_left_out_and_said():
    world = barred_street_with_a_citywide_co_unit()
    world.add(world.c["03.01.01"], unit=world.u["EN-WATER"], negative=True)
    best = world.table().route("03.01.01", world.place("110101001"))[0]
    assert best.lead.code == "110101" and best.co == []
    assert f"协办不含{world.u['EN-WATER'].name}" in best.explanation
