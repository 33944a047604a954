"""Making text fit its box, deliberately (SPEC §5 "text fits its boxes").

PowerPoint applies a text box's autofit only when someone edits the text, so the deck chooses
every font size itself: it wraps the text with the theme font's character widths (Calibri,
measured from its metric-compatible twin Carlito), tries sizes from the largest down, and where
even the smallest size is too long, cuts the text at a word and ends it with «…». The widths
are a little generous (``SLACK``), so a renderer wraps into no more lines than estimated.
"""
from __future__ import annotations

from dataclasses import dataclass

_CHARS = (" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
          "æøåÆØÅéèüöäÉ–—…↑↓→§½·«»’”“•✓")
#: advance widths (1/1000 em) of each character of _CHARS, «regular/bold»
_PAIRS = """
    226/226 326/326 401/438 498/498 507/507 715/729 682/705 221/233 303/312 303/312 498/498
    498/498 250/258 306/306 252/267 386/430 507/507 507/507 507/507 507/507 507/507 507/507
    507/507 507/507 507/507 507/507 268/276 268/276 498/498 498/498 498/498 463/463 894/898
    579/606 544/561 533/529 615/630 488/488 459/459 631/637 623/631 252/267 319/331 520/547
    420/423 855/874 646/659 662/676 517/532 673/686 543/563 459/473 487/495 642/653 567/591
    890/906 519/551 487/520 468/478 307/325 386/430 307/325 498/498 498/498 291/300 479/494
    525/537 423/418 525/537 498/503 305/316 471/474 525/537 230/246 239/255 455/480 230/246
    799/813 525/537 527/538 525/537 525/537 349/355 391/399 335/347 525/537 452/473 715/745
    433/459 453/474 395/397 314/344 460/475 314/344 498/498 773/775 529/544 479/494 763/775
    664/681 579/606 498/503 498/503 525/537 527/538 479/494 488/488 498/498 905/905 690/711
    905/905 905/905 905/905 498/498 671/691 252/268 512/539 512/539 250/258 418/435 418/435
    498/498 507/507
"""
_REGULAR, _BOLD = zip(*(tuple(int(v) for v in pair.split("/")) for pair in _PAIRS.split()))
_WIDTHS = {False: dict(zip(_CHARS, _REGULAR)), True: dict(zip(_CHARS, _BOLD))}
_OTHER = 700  # a character not in the table (1/1000 em): wider than most letters
SLACK = 1.06  # estimated widths are this much wider than measured
LINE = 1.22  # line height / font size as LibreOffice and PowerPoint set Calibri
ELLIPSIS = "…"


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Estimated width of ``text`` in points at font size ``size``."""
    widths = _WIDTHS[bold]
    return sum(widths.get(ch, _OTHER) for ch in text) * size * SLACK / 1000


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """``text`` broken into lines at spaces (a word longer than a line is broken by characters)."""
    lines: list[str] = []
    space = text_width(" ", size, bold)
    for para in text.split("\n"):
        line, used = "", 0.0
        for word in para.split():
            w = text_width(word, size, bold)
            if line and used + space + w <= width:
                line, used = f"{line} {word}", used + space + w
                continue
            if line:
                lines.append(line)
            while w > width and len(word) > 1:
                cut = _longest_prefix(word, width, size, bold)
                lines.append(word[:cut])
                word = word[cut:]
                w = text_width(word, size, bold)
            line, used = word, w
        lines.append(line)
    return lines


def _longest_prefix(word: str, width: float, size: float, bold: bool) -> int:
    cut = 1
    while cut < len(word) and text_width(word[:cut + 1], size, bold) <= width:
        cut += 1
    return cut


def shorten(line: str, width: float, size: float, bold: bool = False) -> str:
    """``line`` cut (at a word where it can) so that it and «…» fit ``width``."""
    if text_width(line + ELLIPSIS, size, bold) <= width:
        return line + ELLIPSIS
    words = line.split(" ")
    while len(words) > 1:
        words.pop()
        candidate = " ".join(words).rstrip(",.;:–- ") + ELLIPSIS
        if text_width(candidate, size, bold) <= width:
            return candidate
    return line[:max(_longest_prefix(line, width, size, bold) - 1, 0)] + ELLIPSIS


def clip_lines(text: str, width: float, size: float, max_lines: int,
               bold: bool = False) -> tuple[str, int, bool]:
    """``text`` kept to ``max_lines`` lines at ``size``: (text, lines used, cut with «…»)."""
    lines = wrap(text, width, size, bold)
    if len(lines) <= max_lines:
        return text, len(lines), False
    kept = lines[:max_lines]
    kept[-1] = shorten(kept[-1], width, size, bold)
    return " ".join(kept), max_lines, True


@dataclass(frozen=True)
class Para:
    """One paragraph of a text box: its text, weight and size relative to the body size."""

    text: str
    bold: bool = False
    scale: float = 1.0
    space_before: float = 0.0  # points


@dataclass(frozen=True)
class Fitted:
    size: float  # the body font size chosen (points)
    paras: tuple[Para, ...]  # the paragraphs as they will be written (cut where needed)
    cut: bool  # some text was cut and ends with «…»


def fit_paragraphs(paras: list[Para], width: float, height: float, sizes: tuple[float, ...]) -> Fitted:
    """The largest size of ``sizes`` (largest first) at which every paragraph fits the box;
    at the smallest size, the paragraphs that do not fit are cut line by line with «…»."""
    for size in sizes:
        if _height(paras, width, size) <= height:
            return Fitted(size, tuple(paras), False)
    size = sizes[-1]
    kept: list[Para] = []
    used = 0.0
    for para in paras:
        s = size * para.scale
        line_h = s * LINE
        room = int((height - used - para.space_before + 0.01) // line_h)
        if room <= 0:
            break
        text, n, cut = clip_lines(para.text, width, s, room, para.bold)
        kept.append(Para(text, para.bold, para.scale, para.space_before))
        used += para.space_before + n * line_h
        if cut:
            break
    if len(kept) < len(paras) and kept and not kept[-1].text.endswith(ELLIPSIS):
        last = kept[-1]
        lines = wrap(last.text, width, size * last.scale, last.bold)
        lines[-1] = shorten(lines[-1], width, size * last.scale, last.bold)
        kept[-1] = Para(" ".join(lines), last.bold, last.scale, last.space_before)
    return Fitted(size, tuple(kept), True)


def _height(paras: list[Para], width: float, size: float) -> float:
    return sum(p.space_before + len(wrap(p.text, width, size * p.scale, p.bold)) * size * p.scale * LINE
               for p in paras)
