"""«Mente du …?»: the id a user most likely meant, and the one way a message says so.

An id that is not found is often a known one, mangled on its way:

* a unit id that lost its leading zeros in Excel (``101`` or ``101.0`` for ``0101``), or that
  differs in case or spaces (``nav 01`` for ``NAV01``);
* an indicator id in other case or with spaces (``b 3`` for ``B3``), with ``Ø`` garbled
  (UTF-8 read as Windows-1252: ``Ã˜1``) or typed without it (``O1``), or with a leading zero
  (``B01`` for ``B1``).

No guess by spelling distance: a guess must be a mangling we can name, so a user can trust it.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Collection, Iterable

from ..errors import ERROR, WARNING
from .tables import cell_text, lines_text, rows_word

#: why a unit id in an extract may not match: said after «Mente du …?»
LOST_ZERO = "Enhetsnummer er tekst, og ledende null kan ha falt bort i Excel"

_FLOAT_ID = re.compile(r"\d+\.0+", re.ASCII)  # 101.0: a unit id Excel stored as a number
_SPACES = re.compile(r"\s+")


def did_you_mean(candidates: Iterable[str], *, capital: bool = True) -> str:
    """``Mente du «0101»?``, ``Mente du «0101» eller «00101»?`` (``mente du …`` mid-sentence)."""
    return f"{'M' if capital else 'm'}ente du {' eller '.join(f'«{c}»' for c in candidates)}?"


def _squash(text: str) -> str:
    return _SPACES.sub("", text).casefold()


def _unit_text(unit_id: object) -> str:
    return unicodedata.normalize("NFC", cell_text(unit_id)).strip()


def unit_guesses(unit_id: object, ids: Collection[str]) -> tuple[list[str], bool]:
    """The known ids (sorted) ``unit_id`` may stand for, other than itself, and whether they
    differ by lost leading zeros (True) or by case and spaces (False)."""
    text = _unit_text(unit_id)
    digits = text.split(".")[0] if _FLOAT_ID.fullmatch(text) else text
    if digits.isascii() and digits.isdigit():
        zeros = sorted(u for u in ids if u != text and u.isascii() and u.isdigit()
                       and u.lstrip("0") == digits.lstrip("0"))
        if zeros:
            return zeros, True
    squashed = _squash(text)
    return sorted(u for u in ids if u != text and _squash(u) == squashed), False


def suggest_unit(unit_id: object, ids: Collection[str]) -> str | None:
    """The one id ``unit_id`` most likely means (itself when known once cleaned of spaces and
    ``.0``); None when there is no such id, or several."""
    text = _unit_text(unit_id)
    if text in ids:
        return text
    guesses, _lost_zero = unit_guesses(text, ids)
    return guesses[0] if len(guesses) == 1 else None


def unit_advice(unit_id: str, ids: Collection[str] | None) -> str:
    """What to do about a unit of the extract that is not in the register, naming the likely
    match."""
    guesses, lost_zero = unit_guesses(unit_id, ids or ())
    if guesses and lost_zero:
        return f"{did_you_mean(guesses)} {LOST_ZERO}: rett enhetsnummeret i uttrekket."
    if guesses:
        return f"{did_you_mean(guesses)} Rett enhetsnummeret i uttrekket."
    return "Rett enhetsnummeret i uttrekket, eller legg enheten inn i registeret."


def unknown_unit(unit_id: str, ids: Collection[str], lines: list[int]) -> tuple[str, str]:
    """The one rule for a unit of the extract that is not in the register, for ``sjekk`` and
    ``kontroll`` alike: ``(severity, message)``.

    A mangled id of a known unit (a lost leading zero, other case or spaces) is an error: those
    rows belong to an office that would silently go unfilled. An id like no known unit is a
    warning (a unit not yet in the register, say): its rows are skipped.
    """
    guesses, _lost_zero = unit_guesses(unit_id, ids)
    return (ERROR if guesses else WARNING,
            f"enheten «{unit_id}» finnes ikke i enhetsregisteret; {rows_word(len(lines))} "
            f"({lines_text(lines)}) blir ikke fylt inn. {unit_advice(unit_id, ids)}")


def suggest_indicator(ind_id: str, ids: Iterable[str]) -> str | None:
    """The catalogue id a user most likely meant: same up to case and spaces, a garbled ``Ø``
    (UTF-8 read as Windows-1252, ``O`` for ``Ø``), or a leading zero (``B01`` for ``B1``)."""
    ids = list(ids)
    candidates = [ind_id]
    try:
        candidates.append(ind_id.encode("cp1252").decode("utf-8"))
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    for text in candidates:
        squashed = _squash(text)
        for cid in ids:
            if _squash(cid) == squashed:
                return cid
        m = re.fullmatch(r"(\D*)0+(\d+)", squashed)
        for cid in ids:
            folded = cid.casefold()
            if m and folded == m.group(1) + m.group(2):
                return cid
            if folded.replace("ø", "o").replace("æ", "ae").replace("å", "a") == squashed:
                return cid
    return None


def indicator_advice(guess: str | None) -> str:
    """What to do about an indicator of the extract that is not in the catalogue."""
    if guess:
        return f"{did_you_mean([guess])} Rett ID-en i uttrekket."
    return "Rett ID-en, eller legg indikatoren inn i katalogen."
