"""`excelkort rapport`: the statusrapport deck (SPEC §5, §8): the template's layouts, the
slides, native charts, text that fits, a restyled template, and byte-identical re-runs."""
from __future__ import annotations

import hashlib
import importlib.util
import io
import re
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from lxml import etree
from pptx import Presentation
from pptx.util import Pt

from excelkort import api
from excelkort.actionplan.layout import ACTION_HEADER_ROW, ACTION_LABELS
from excelkort.cli import main
from excelkort.report.content import deck_content
from excelkort.report.fit import Para, fit_paragraphs, text_width, wrap
from excelkort.report.source import read_source
from excelkort.report.template import LAYOUTS, default_template
from excelkort.scorecard.reader import read_scorecard
from excelkort.xlsx.refs import cell_ref
from excelkort.xlsx.workbookpatch import patch_workbook
from libreoffice import run_soffice
from test_consolidate import make_work_folder

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2026-10"
LONG_COMMENT = ("Høsten preges av mange nye brukere og et høyt sykefravær blant veilederne. " * 40).strip()


def _type_measures(path: Path, rows: list[dict]) -> None:
    edits = {}
    for i, row in enumerate(rows):
        for label, value in row.items():
            edits[cell_ref(ACTION_HEADER_ROW + 1 + i, ACTION_LABELS.index(label))] = value
    patch_workbook(path, edits={"Tiltak": edits})


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    """6 offices in 2 county units, consolidated; office 0101 with measures and long texts."""
    folder = make_work_folder(tmp_path_factory.mktemp("rapport") / "arbeidsmappe")
    office = folder / "kontor" / "0101"
    patch_workbook(office / "målekort_0101_2026.xlsx", edits={"Målekort": {"F2": LONG_COMMENT}})
    _type_measures(office / "tiltaksplan_0101_2026.xlsx", [
        {"Nr": 1, "Indikator": "P1 Andel arbeidssøkere med oppfølging", "Tiltak": "Ekstra "
         "oppfølgingsdager for alle veiledere i november, med faste møter hver uke " * 3,
         "Ansvarlig": "Kari Nordmann", "Frist": "15.09.2026", "Status": "Pågår"},
        {"Nr": 2, "Indikator": "B1 Andel arbeidssøkere", "Tiltak": "Jobbmesse med lokale arbeidsgivere",
         "Ansvarlig": "Ola", "Frist": "15.12.2026", "Status": "Ikke startet"},
        {"Nr": 3, "Indikator": "M1 Sykefravær", "Tiltak": "Dialogmøter", "Ansvarlig": "Per",
         "Frist": "01.03.2026", "Status": "Fullført"},
    ])
    api.consolidate(folder / "kontor", workers=1)
    return folder


@pytest.fixture
def work(pristine, tmp_path) -> Path:
    dst = tmp_path / "arbeidsmappe"
    shutil.copytree(pristine, dst)
    return dst


def _office(work: Path) -> Path:
    return work / "kontor" / "0101" / "målekort_0101_2026.xlsx"


def _county(work: Path, unit: str = "F1") -> Path:
    return work / "konsolidert" / unit / f"målekort_{unit}_2026.xlsx"


def _layouts(path: Path) -> list[str]:
    return [slide.slide_layout.name for slide in Presentation(str(path)).slides]


def _texts(slide) -> str:
    out = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            out.append(shape.text_frame.text)
        if shape.has_table:
            out += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(out)


# --- the template ---------------------------------------------------------------------------------

def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_status_template", ROOT / "scripts" / "build_status_template.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_template_is_what_the_script_builds(tmp_path):
    (built,) = _builder().build(tmp_path)
    assert built.read_bytes() == default_template().read_bytes(), (
        "status.pptx er utdatert: kjør python scripts/build_status_template.py")
    assert _builder().build_bytes() == built.read_bytes()  # reproducible


def test_template_has_the_layouts_and_named_placeholders():
    prs = Presentation(str(default_template()))
    names = {layout.name: layout for layout in prs.slide_layouts}
    for spec in LAYOUTS:
        layout = names[spec.name]
        have = {ph.placeholder_format.idx: ph.name for ph in layout.placeholders}
        assert have == {ph.idx: ph.name for ph in spec.placeholders}
    assert len(prs.slides) == 0 and prs.slide_width == Pt(960)


# --- the office deck --------------------------------------------------------------------------------

def test_office_deck_has_every_slide_type(work):
    result = api.report(_office(work))
    assert result.path == work / "kontor" / "0101" / f"statusrapport_0101_{PERIOD}.pptx"
    assert result.written
    layouts = _layouts(result.path)
    assert layouts[0] == "Statusrapport – tittel" and layouts[1] == "Statusrapport – oversikt"
    assert "Statusrapport – målekort" in layouts and layouts[-1] == "Statusrapport – tiltak"
    source = read_source(_office(work))
    flagged = [x for x in source.inputs.indicators if x.on_slide]
    assert layouts.count("Statusrapport – indikator med graf") == len(flagged) > 0
    prs = Presentation(str(result.path))
    titles = [s.shapes.title.text for s in prs.slides if s.shapes.title is not None]
    assert titles[0] == "Statusrapport oktober 2026"
    for x in flagged:
        assert any(t.startswith(x.ind.id + " ") for t in titles)
    measures = _texts(prs.slides[-1])
    assert "Ekstra oppfølgingsdager" in measures and "Jobbmesse" in measures
    assert "forfalt" in measures and "Dialogmøter" not in measures  # closed, not overdue


def test_table_shows_the_workbooks_status_and_words(work):
    """The deck recomputes the numbers; they agree with the workbook's cached Status and Trend,
    and every status is a word beside its colour."""
    path = api.report(_office(work)).path
    sc = read_scorecard(_office(work))
    prs = Presentation(str(path))
    rows = {}
    for slide in prs.slides:
        if slide.slide_layout.name != "Statusrapport – målekort":
            continue
        table = next(s for s in slide.shapes if s.has_table).table
        header = [c.text for c in table.rows[0].cells]
        for row in list(table.rows)[1:]:
            cells = [c.text for c in row.cells]
            if cells[0]:
                rows[cells[0]] = dict(zip(header, cells))
    assert set(rows) == set(sc.rows)
    for ind_id, item in sc.rows.items():
        assert rows[ind_id]["Status"] == item.cached["Status"]
        assert rows[ind_id]["Trend"] == item.cached["Trend"]


def test_long_texts_are_cut_with_an_ellipsis(work):
    path = api.report(_office(work)).path
    overview = Presentation(str(path)).slides[1]
    comment = next(s for s in overview.shapes if s.has_text_frame and "Leders kommentar" in s.text_frame.text)
    text = comment.text_frame.text
    assert text.endswith("…") and len(text) < len(LONG_COMMENT)


def test_line_keeps_one_styringslinje(work):
    result = api.report(_office(work), line="kommunal")
    assert result.path.name == f"statusrapport_0101_{PERIOD}_kommunal.pptx"
    source = read_source(_office(work), line="kommunal")
    assert {x.ind.line for x in source.inputs.indicators} <= {"kommunal", "felles"}
    text = "\n".join(_texts(s) for s in Presentation(str(result.path)).slides)
    assert "\nB1\n" not in text and "styringslinje kommunal" in text
    with pytest.raises(api.InputError):
        api.report(_office(work), line="fylke")


# --- county and nation -------------------------------------------------------------------------------

@pytest.mark.parametrize("unit, level", [("F1", "fylke"), ("NO", "nasjonal")])
def test_county_and_national_decks_show_units_side_by_side(work, unit, level):
    result = api.report(_county(work, unit))
    source = read_source(_county(work, unit))
    assert source.inputs.level == level
    assert [u.total for u in source.inputs.units][:2] == [True, False]
    prs = Presentation(str(result.path))
    units = [s for s in prs.slides if s.slide_layout.name == "Statusrapport – enheter side om side"]
    assert [s.shapes.title.text for s in units][-1] == "Rangering av enhetene"
    heat = _texts(units[0])
    for u in source.inputs.units:
        assert u.name in heat
    assert re.search(r"\d+,\d\u00a0% (grønn|gul|rød)", heat)


# --- native charts, re-runs, restyling -------------------------------------------------------------

def test_charts_are_native_with_their_data_in_an_embedded_workbook(work):
    path = api.report(_office(work)).path
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        charts = [n for n in names if re.fullmatch(r"ppt/charts/chart\d+\.xml", n)]
        assert charts
        for chart in charts:
            rels = etree.fromstring(z.read(chart.replace("charts/", "charts/_rels/") + ".rels"))
            target = rels[0].get("Target")
            assert target.endswith(".xlsx")
            blob = z.read(str(Path("ppt/charts") / target).replace("charts/../", ""))
            wb = openpyxl.load_workbook(io.BytesIO(blob))
            assert wb.active["A2"].value == "Jan" or wb.active["A2"].value
            xml = z.read(chart).decode()
            assert "<c:lineChart>" in xml and "<c:externalData" in xml


def test_reruns_give_the_same_bytes_dated_by_the_period(work):
    first = api.report(_office(work))
    data = first.path.read_bytes()
    again = api.report(_office(work))
    assert not again.written and again.path.read_bytes() == data
    other = api.report(_office(work), output=work / "kopi.pptx")
    assert other.path.read_bytes() == data
    with zipfile.ZipFile(first.path) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 10, 1, 12, 0, 0)}
        core = z.read("docProps/core.xml").decode()
        assert "2026-10-01T12:00:00" in core


def _restyled(tmp_path: Path) -> Path:
    """A copy of the template with a new accent colour and a background on the table layout."""
    prs = Presentation(str(default_template()))
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT

    theme = prs.slide_master.part.part_related_by(RT.THEME)
    theme._blob = theme.blob.replace(b'<a:accent1><a:srgbClr val="0067C5"/>',
                                     b'<a:accent1><a:srgbClr val="00A651"/>')
    layout = next(l for l in prs.slide_layouts if l.name == "Statusrapport – målekort")
    bg = etree.fromstring(
        '<p:bg xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:bgPr><a:solidFill>'
        '<a:srgbClr val="FFF5E6"/></a:solidFill><a:effectLst/></p:bgPr></p:bg>')
    layout._element.find("{http://schemas.openxmlformats.org/presentationml/2006/main}cSld").insert(0, bg)
    title = next(ph for ph in layout.placeholders if ph.placeholder_format.idx == 0)
    title.left = Pt(200)  # the layout's title moved right
    path = tmp_path / "husmal.pptx"
    prs.save(str(path))
    return path


def test_a_restyled_template_gives_decks_in_its_style(work, tmp_path):
    template = _restyled(tmp_path)
    result = api.report(_office(work), template=template, output=tmp_path / "ny.pptx")
    with zipfile.ZipFile(result.path) as z:
        themes = [z.read(n) for n in z.namelist() if n.startswith("ppt/theme/")]
        assert any(b'val="00A651"' in t for t in themes)
    prs = Presentation(str(result.path))
    table_slides = [s for s in prs.slides if s.slide_layout.name == "Statusrapport – målekort"]
    assert table_slides
    layout_xml = etree.tostring(table_slides[0].slide_layout._element).decode()
    assert "FFF5E6" in layout_xml
    assert table_slides[0].shapes.title.left == Pt(200)  # placed through the layout's placeholder


def test_a_broken_template_is_a_clear_error(work, tmp_path):
    bad = tmp_path / "mal.pptx"
    bad.write_text("ikke en pptx")
    result = CliRunner().invoke(main, ["rapport", str(_office(work)), "--pptmal", str(bad)])
    assert result.exit_code == 2 and "PowerPoint-fil" in result.output


# --- the command line --------------------------------------------------------------------------------

def test_cli_one_deck(work):
    result = CliRunner().invoke(main, ["rapport", str(_office(work)), "-o", str(work / "r.pptx")])
    assert result.exit_code == 0, result.output
    assert "Skrev" in result.output and "Oppsummering: 1 fil skrevet" in result.output


def test_cli_all_decks_one_bad_file_is_rejected(work):
    bad = work / "kontor" / "0202" / "målekort_0202_2026.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken")
    out = work / "rapporter"
    result = CliRunner().invoke(main, ["rapport", "--alle", str(work), "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert "Avvist:" in result.output and "0202" in result.output
    names = sorted(p.name for p in out.glob("*.pptx"))
    assert f"statusrapport_NO_{PERIOD}.pptx" in names and f"statusrapport_F1_{PERIOD}.pptx" in names
    assert len(names) == 5 + 3  # the good offices, two county units and the nation
    again = CliRunner().invoke(main, ["rapport", "--alle", str(work), "-o", str(out)])
    assert "0 skrevet, 8 uendret" in again.output


def test_cli_all_decks_two_files_of_one_name_overwrite_nothing(work):
    """A copy of an office's målekort elsewhere in the folder would give the same deck in one
    output folder: neither gets one, and both are listed (never one silently overwriting)."""
    office = work / "kontor" / "0201" / "målekort_0201_2026.xlsx"
    copy = work / "nye" / "0201" / office.name
    copy.parent.mkdir(parents=True)
    shutil.copy2(office, copy)
    out = work / "rapporter"
    result = CliRunner().invoke(main, ["rapport", "--alle", str(work), "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert ("2 målekort heter målekort_0201_2026.xlsx (kontor/0201/målekort_0201_2026.xlsx, "
            "nye/0201/målekort_0201_2026.xlsx) og ville gitt den samme statusrapporten") in result.output
    assert not (out / f"statusrapport_0201_{PERIOD}.pptx").exists()


def test_cli_all_decks_elsewhere_hold_the_two_folders_not_their_parent(work, tmp_path):
    """``-o`` far from the målekort: the run holds both folders, never the folder they share
    (which would stop every other run below it meanwhile)."""
    out = tmp_path / "andre" / "rapporter"
    result = CliRunner().invoke(main, ["rapport", "--alle", str(work / "kontor"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert (work / "kontor" / ".excelkort" / "kjoring.lock").is_file()
    assert (out / ".excelkort" / "kjoring.lock").is_file()
    shared = Path(os.path.commonpath([work, out]))
    assert not (shared / ".excelkort").exists()


def test_cli_needs_one_of_file_or_folder(work):
    result = CliRunner().invoke(main, ["rapport"])
    assert result.exit_code == 2 and "Oppgi enten" in result.output


# --- text fitting ------------------------------------------------------------------------------------

def test_fit_shrinks_then_cuts():
    long = "ord " * 400
    fitted = fit_paragraphs([Para("Overskrift", bold=True), Para(long)], 200, 100, (14, 12, 10))
    assert fitted.size == 10 and fitted.cut and fitted.paras[-1].text.endswith("…")
    lines = sum(len(wrap(p.text, 200, 10, p.bold)) for p in fitted.paras)
    assert lines * 10 * 1.22 <= 100
    short = fit_paragraphs([Para("kort")], 200, 100, (14, 12))
    assert short.size == 14 and not short.cut
    assert text_width("WWW", 10) > text_width("iii", 10)


# --- rendered: every word inside the slide and inside its shape -------------------------------------

def _words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    pages = []
    for page in re.findall(r"<page .*?</page>", html, flags=re.S):
        words = []
        for m in re.finditer(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                             r"(.*?)</word>", page):
            words.append((*map(float, m.groups()[:4]), m.group(5)))
        pages.append(words)
    return pages


def _frames(slide) -> list[tuple[float, float, float, float]]:
    out = []
    for shape in slide.shapes:
        if shape.width is None:
            continue
        x, y = shape.left.pt, shape.top.pt
        out.append((x, y, x + shape.width.pt, y + shape.height.pt))
    return out


@pytest.mark.libreoffice
def test_rendered_text_stays_inside_its_box(work, tmp_path):
    decks = [api.report(_office(work)).path, api.report(_county(work, "F1")).path,
             api.report(_county(work, "NO")).path]
    run_soffice(decks, "pdf", tmp_path)
    tolerance = 3.0
    for deck in decks:
        prs = Presentation(str(deck))
        pages = _words(tmp_path / (deck.stem + ".pdf"))
        assert len(pages) == len(prs.slides)
        for number, (slide, words) in enumerate(zip(prs.slides, pages), start=1):
            frames = _frames(slide)
            for x0, y0, x1, y1, word in words:
                where = f"{deck.name} lysbilde {number}: «{word}» ({x0:.0f},{y0:.0f})–({x1:.0f},{y1:.0f})"
                assert -tolerance <= x0 and x1 <= 960 + tolerance, where
                assert -tolerance <= y0 and y1 <= 540 + tolerance, where
                assert any(fx0 - tolerance <= x0 and x1 <= fx1 + tolerance and fy0 - tolerance <= y0
                           and y1 <= fy1 + tolerance for fx0, fy0, fx1, fy1 in frames), where


def test_chart_takes_last_year_from_the_history_where_it_exists(work):
    inputs = read_source(_office(work)).inputs
    line = next(x for x in inputs.indicators if x.on_slide and x.ind.frequency == "måned")
    line.last_year = tuple(50.0 + m for m in range(12))
    slide = next(s for s in deck_content(inputs) if getattr(s, "chart", None)
                 and s.title.startswith(line.ind.id + " "))
    names = [series.name for series in slide.chart.series]
    assert names[:2] == ["2026", "2025"] and "Mål" in names
    assert slide.chart.series[1].values[0] == 50.0
