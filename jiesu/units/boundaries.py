"""Reading boundary files for `jiesu load-units` (no Django: plain records out).

Two formats:

- GeoJSON FeatureCollection (or one Feature): properties `code` or `adcode`,
  `name`, optionally `kind` and `parent_code`;
- CSV with a header: code, name, parent_code, kind and a geometry column
  named `wkt`, `geojson` or `geometry` (WKT or GeoJSON text).

A record that cannot be read keeps its number and an `error`, so the loader
can report it by name and go on with the others.
"""
from __future__ import annotations

import csv
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from shapely import wkt as shapely_wkt

GEOMETRY_COLUMNS = ("wkt", "geojson", "geometry")
CITY_CODE = "110000"
TERRITORIAL_LENGTHS = {6: "district", 9: "street", 12: "community", 15: "grid"}


class BoundaryFileError(ValueError):
    """The file as a whole cannot be read."""


@dataclass
class BoundaryRecord:
    number: int  # 1-based feature or data-row number
    code: str = ""
    name: str = ""
    kind: str = ""
    parent_code: str = ""
    geometry: object = None  # GeoJSON dict or shapely geometry
    error: str = ""

    @property
    def label(self) -> str:
        """How messages name the record: “#3 110101 东城区”."""
        return " ".join(part for part in (f"#{self.number}", self.code, self.name) if part)


def normalise_code(raw) -> str:
    """110101 → "110101"; NBS 12-digit codes padded with zeros → our 6/9-digit codes.

    NBS writes 东华门街道 as 110101001000 and 东城区 as 110101000000; our
    12-digit codes are communities, numbered from 001, so a trailing 000 is
    never a community.
    """
    if raw is None:
        return ""
    code = str(raw).strip()
    if code.endswith(".0") and code[:-2].isdigit():  # a spreadsheet's float
        code = code[:-2]
    if len(code) == 12 and code.isdigit() and code.endswith("000"):
        code = code[:9]
        if code.endswith("000"):
            code = code[:6]
    return code


def kind_for_code(code: str) -> str:
    """The territorial kind a code's length implies ("" when it implies none)."""
    if code == CITY_CODE:
        return "city"
    return TERRITORIAL_LENGTHS.get(len(code), "") if code.isdigit() else ""


def parent_code_for(code: str) -> str:
    """The code of the territorial parent by prefix (district → city)."""
    if not code.isdigit() or code == CITY_CODE:
        return ""
    if len(code) == 6:
        return CITY_CODE
    return code[: len(code) - 3] if len(code) in (9, 12, 15) else ""


def read_boundaries(path) -> list[BoundaryRecord]:
    """Records from a .geojson/.json or .csv file (by extension, else by content)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BoundaryFileError(f"{path}: {exc}") from exc
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json") or (suffix != ".csv" and text.lstrip().startswith("{")):
        return read_geojson(text)
    return read_csv(text)


def read_geojson(text: str) -> list[BoundaryRecord]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BoundaryFileError(f"not JSON: {exc}") from exc
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = {"type": "FeatureCollection", "features": [data]}
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise BoundaryFileError("not a GeoJSON FeatureCollection")
    return [_feature_record(i, f) for i, f in enumerate(data.get("features") or [], start=1)]


def _feature_record(number, feature) -> BoundaryRecord:
    if not isinstance(feature, dict):
        return BoundaryRecord(number, error="not a GeoJSON Feature")
    props = feature.get("properties") or {}
    code = props.get("code") if props.get("code") not in (None, "") else props.get("adcode")
    return BoundaryRecord(number, code=normalise_code(code), name=str(props.get("name") or "").strip(),
                          kind=str(props.get("kind") or "").strip(),
                          parent_code=normalise_code(props.get("parent_code")),
                          geometry=feature.get("geometry"))


def read_csv(text: str) -> list[BoundaryRecord]:
    csv.field_size_limit(sys.maxsize)  # a district's WKT runs to megabytes
    reader = csv.DictReader(text.splitlines())
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    geometry_column = next((c for c in GEOMETRY_COLUMNS if c in columns), None)
    if "code" not in columns and "name" not in columns:
        raise BoundaryFileError("the CSV needs a code or a name column")
    if geometry_column is None:
        raise BoundaryFileError("the CSV needs a wkt, geojson or geometry column")
    records = []
    for number, raw in enumerate(reader, start=1):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        record = BoundaryRecord(number, code=normalise_code(row.get("code")), name=row.get("name", ""),
                                kind=row.get("kind", ""), parent_code=normalise_code(row.get("parent_code")))
        try:
            record.geometry = parse_geometry_text(row.get(geometry_column, ""))
        except ValueError as exc:
            record.error = str(exc)
        records.append(record)
    return records


def parse_geometry_text(text: str):
    """A GeoJSON dict or shapely geometry from WKT or GeoJSON text (None when blank)."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"bad GeoJSON: {exc}") from exc
    try:
        return shapely_wkt.loads(text)
    except Exception as exc:  # shapely raises GEOSException for bad WKT
        raise ValueError(f"bad WKT: {exc}") from exc
