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
_REGULAR = (
    226, 326, 401, 498, 507, 715, 682, 221, 303, 303, 498, 498, 250, 306, 252, 386, 507, 507, 507, 507,
    507, 507, 507, 507, 507, 507, 268, 268, 498, 498, 498, 463, 894, 579, 544, 533, 615, 488, 459, 631,
    623, 252, 319, 520, 420, 855, 646, 662, 517, 673, 543, 459, 487, 642, 567, 890, 519, 487, 468, 307,
    386, 307, 498, 498, 291, 479, 525, 423, 525, 498, 305, 471, 525, 230, 239, 455, 230, 799, 525, 527,
    525, 525, 349, 391, 335, 525, 452, 715, 433, 453, 395, 314, 460, 314, 498, 773, 529, 479, 763, 664,
    579, 498, 498, 525, 527, 479, 488, 498, 905, 690, 905, 905, 905, 498, 671, 252, 512, 512, 250, 418,
    418, 498, 507)
_BOLD = (
    226, 326, 438, 498, 507, 729, 705, 233, 312, 312, 498, 498, 258, 306, 267, 430, 507, 507, 507, 507,
    507, 507, 507, 507, 507, 507, 276, 276, 498, 498, 498, 463, 898, 606, 561, 529, 630, 488, 459, 637,
    631, 267, 331, 547, 423, 874, 659, 676, 532, 686, 563, 473, 495, 653, 591, 906, 551, 520, 478, 325,
    430, 325, 498, 498, 300, 494, 537, 418, 537, 503, 316, 474, 537, 246, 255, 480, 246, 813, 537, 538,
    537, 537, 355, 399, 347, 537, 473, 745, 459, 474, 397, 344, 475, 344, 498, 775, 544, 494, 775, 681,
    606, 503, 503, 537, 538, 494, 488, 498, 905, 711, 905, 905, 905, 498, 691, 268, 539, 539, 258, 435,
    435, 498, 507)
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
