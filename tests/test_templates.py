"""The committed templates are exactly what scripts/build_templates.py builds (reproducible)."""
import importlib.util
from pathlib import Path

import openpyxl

from excelkort.scorecard import layout as L

ROOT = Path(__file__).resolve().parent.parent


def _builder():
    spec = importlib.util.spec_from_file_location("build_templates", ROOT / "scripts" / "build_templates.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_templates_are_up_to_date(tmp_path):
    built = _builder().build(tmp_path)
    for path in built:
        committed = ROOT / "excelkort" / "templates" / path.name
        assert committed.read_bytes() == path.read_bytes(), (
            f"{committed.name} er utdatert: kjør python scripts/build_templates.py")


def test_template_layout():
    wb = openpyxl.load_workbook(ROOT / "templates" / "målekort.xlsx")
    assert wb.sheetnames == list(L.SHEETS)
    assert set(L.DEFINED_NAMES) <= set(wb.defined_names)
    ws = wb[L.SCORECARD_SHEET]
    header = [c.value for c in ws[L.SCORECARD_HEADER_ROW + 1]][: len(L.SCORECARD_LABELS)]
    assert header == list(L.SCORECARD_LABELS)
    assert ws.protection.sheet and ws.freeze_panes
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.print_title_rows
    data = wb[L.DATA_SHEET]
    assert [c.value for c in data[L.DATA_HEADER_ROW + 1]] == list(L.DATA_LABELS)
    assert wb[L.LOG_SHEET].max_row == 1


def test_no_formula_spans_the_month_cells():
    """A column a user inserts among Jan…Des (a quarter's sum, say) must not enter any
    formula's range: formulas name each month cell by itself (CHOOSE), never a range over them."""
    import re

    wb = openpyxl.load_workbook(ROOT / "templates" / "målekort.xlsx")
    ws = wb[L.SCORECARD_SHEET]
    header = [c.value for c in ws[L.SCORECARD_HEADER_ROW + 1]]
    first = openpyxl.utils.get_column_letter(header.index("Jan") + 1)
    last = openpyxl.utils.get_column_letter(header.index("Des") + 1)
    formulas = [c.value for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert any("CHOOSE(" in f for f in formulas)
    spanning = [f for f in formulas if re.search(rf"\b{first}\d+:{last}\d+\b", f)]
    assert spanning == []
