"""Read an XLSX sheet back with the standard library (zipfile + ElementTree): rows of cell values."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def _column(ref: str) -> int:
    letters = re.match(r"[A-Z]+", ref)
    assert letters is not None
    index = 0
    for char in letters.group():
        index = index * 26 + ord(char) - 64
    return index - 1


def read_rows(path: Path) -> list[list[str | None]]:
    with zipfile.ZipFile(path) as archive:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in archive.namelist():
            root = ElementTree.fromstring(archive.read("xl/sharedStrings.xml"))  # noqa: S314 - our own file
            shared = [
                "".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t")) for si in root.findall("m:si", NS)
            ]
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))  # noqa: S314 - our own file
    rows: list[list[str | None]] = []
    for row in sheet.iter(f"{{{NS['m']}}}row"):
        values: dict[int, str | None] = {}
        for cell in row.findall("m:c", NS):
            kind = cell.get("t")
            if kind == "s":
                value: str | None = shared[int(cell.findtext("m:v", "", NS))]
            elif kind == "inlineStr":
                value = "".join(t.text or "" for t in cell.iter(f"{{{NS['m']}}}t"))
            else:
                value = cell.findtext("m:v", None, NS)
            values[_column(cell.get("r", "A1"))] = value
        width = max(values) + 1 if values else 0
        rows.append([values.get(i) for i in range(width)])
    return rows
