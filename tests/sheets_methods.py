"""What each Sheets v4 method the stand-in answers does to the spreadsheet's tabs.

``route`` finds the API method of a request path; ``apply_write`` runs one write on a list of
tabs (the caller hands it a copy, so a refused request changes nothing).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from tests import sheets_grid as grid
from tests.sheets_grid import GridError, Spreadsheet, Tab

WRITES = frozenset(
    {
        "spreadsheets.batchUpdate",
        "values.update",
        "values.batchUpdate",
        "values.append",
        "values.batchClear",
        "values.clear",
    }
)


def answer_read(sheet: Spreadsheet, method: str, params: dict[str, list[str]]) -> dict[str, Any]:
    """``spreadsheets.get``, ``values.get`` or ``values.batchGet``."""
    spreadsheet_id, tabs = sheet.spreadsheet_id, sheet.tabs
    render = params.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
    if method == "spreadsheets.get":
        return metadata(spreadsheet_id, tabs, sheet.title)
    if method == "values.get":
        text = params["range"][0]
        tab, bounds = grid.resolve(text, tabs)
        return grid.read(tab, bounds, text, render)
    ranges = params.get("ranges", [])
    if not ranges:
        raise GridError(400, "At least one range is required")
    read = [grid.read(*grid.resolve(text, tabs), text, render) for text in ranges]
    return {"spreadsheetId": spreadsheet_id, "valueRanges": read}


def metadata(spreadsheet_id: str, tabs: list[Tab], title: str) -> dict[str, Any]:
    sheets = [
        {
            "properties": {
                "sheetId": tab.gid,
                "title": tab.title,
                "index": index,
                "sheetType": "GRID",
                "gridProperties": {"rowCount": tab.row_count, "columnCount": tab.column_count},
            }
        }
        for index, tab in enumerate(tabs)
    ]
    return {"spreadsheetId": spreadsheet_id, "properties": {"title": title}, "sheets": sheets}


def apply_write(
    tabs: list[Tab], method: str, params: dict[str, list[str]], body: dict[str, Any]
) -> dict[str, Any]:
    option = body.get("valueInputOption") or params.get("valueInputOption", [""])[0]
    if method in ("values.update", "values.batchUpdate", "values.append") and option not in (
        "RAW",
        "USER_ENTERED",
    ):
        raise GridError(400, "Invalid valueInputOption: INPUT_VALUE_OPTION_UNSPECIFIED")
    if method == "values.update":
        text = params["range"][0]
        return grid.write(*grid.resolve(text, tabs), text, body.get("values", []), option)
    if method == "values.batchUpdate":
        replies = [
            grid.write(*grid.resolve(d["range"], tabs), d["range"], d.get("values", []), option)
            for d in body.get("data", [])
        ]
        return {
            "totalUpdatedRows": sum(r["updatedRows"] for r in replies),
            "totalUpdatedColumns": max((r["updatedColumns"] for r in replies), default=0),
            "totalUpdatedCells": sum(r["updatedCells"] for r in replies),
            "totalUpdatedSheets": len({r["updatedRange"].rsplit("!", 1)[0] for r in replies}),
            "responses": replies,
        }
    if method == "values.append":
        return _append(tabs, params, body, option)
    if method in ("values.clear", "values.batchClear"):
        ranges = params["range"] if method == "values.clear" else body.get("ranges", [])
        cleared = [grid.clear(*grid.resolve(text, tabs), text) for text in ranges]
        if method == "values.clear":
            return {"clearedRange": cleared[0]}
        return {"clearedRanges": cleared}
    return {"replies": [_structural(tabs, r, i) for i, r in enumerate(body.get("requests", []))]}


def _append(
    tabs: list[Tab], params: dict[str, list[str]], body: dict[str, Any], option: str
) -> dict[str, Any]:
    """After the tab's last row with data, from the range's first column, as the API does for
    a range at the top of a table; ``INSERT_ROWS`` adds grid rows for them."""
    text = params["range"][0]
    tab, bounds = grid.resolve(text, tabs)
    values = body.get("values", [])
    last = tab.last_data_row()
    start = last + 1
    if params.get("insertDataOption", ["OVERWRITE"])[0] == "INSERT_ROWS":
        grid.insert_dimension(tab, "ROWS", start - 1, start - 1 + max(len(values), 1), "append")
    target = grid.Bounds(start, bounds.first_column, None, None)
    updates = grid.write(tab, target, text, values, option)
    answer: dict[str, Any] = {"updates": updates}
    if last:
        width = max(len(row) for row in tab.rows[:last]) or 1
        answer["tableRange"] = grid.a1_of(tab, 1, bounds.first_column, last, width)
    return answer


def _structural(tabs: list[Tab], request: dict[str, Any], index: int) -> dict[str, Any]:
    kind = next(iter(request), "")
    where = f"requests[{index}].{kind}"
    spec = request.get(kind) or {}
    if kind == "appendDimension":
        tab = _tab_by_gid(tabs, spec.get("sheetId"), where)
        size = tab.row_count if spec.get("dimension") == "ROWS" else tab.column_count
        grid.insert_dimension(tab, spec.get("dimension", ""), size, size + spec["length"], where)
        return {}
    if kind not in ("deleteDimension", "insertDimension"):
        raise GridError(400, f"Invalid {where}: not a request this stand-in knows")
    span = spec.get("range") or {}
    tab = _tab_by_gid(tabs, span.get("sheetId"), where)
    change = grid.delete_dimension if kind == "deleteDimension" else grid.insert_dimension
    change(tab, span.get("dimension", ""), int(span["startIndex"]), int(span["endIndex"]), where)
    return {}


def _tab_by_gid(tabs: list[Tab], gid: Any, where: str) -> Tab:
    tab = next((t for t in tabs if t.gid == gid), None)
    if tab is None:
        raise GridError(400, f"Invalid {where}: No grid with id: {gid}")
    return tab


def route(path: str, http_method: str) -> tuple[str, str, dict[str, list[str]]] | None:
    """(API method, spreadsheet id, path parameters) of a request path, from its raw form: the
    range is percent-encoded in it, so a bare ``:`` always starts a verb."""
    prefix = "/v4/spreadsheets/"
    if not path.startswith(prefix):
        return None
    rest = path[len(prefix) :]
    sheet_part, slash, values_part = rest.partition("/")
    sheet_id, _, verb = sheet_part.partition(":")
    if not slash:
        methods = {
            ("GET", ""): "spreadsheets.get",
            ("POST", "batchUpdate"): "spreadsheets.batchUpdate",
        }
        found = methods.get((http_method, verb))
        return (found, unquote(sheet_id), {}) if found else None
    if values_part.startswith("values:"):
        found = {
            ("GET", "batchGet"): "values.batchGet",
            ("POST", "batchUpdate"): "values.batchUpdate",
            ("POST", "batchClear"): "values.batchClear",
        }.get((http_method, values_part[len("values:") :]))
        return (found, unquote(sheet_id), {}) if found else None
    if not values_part.startswith("values/"):
        return None
    encoded, _, range_verb = values_part[len("values/") :].partition(":")
    found = {
        ("GET", ""): "values.get",
        ("PUT", ""): "values.update",
        ("POST", "append"): "values.append",
        ("POST", "clear"): "values.clear",
    }.get((http_method, range_verb))
    return (found, unquote(sheet_id), {"range": [unquote(encoded)]}) if found else None
