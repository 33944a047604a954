"""Errors and warnings a user sees: one Norwegian message naming file, sheet and cell (or line).

Exit codes follow SPEC §8: 0 success, 1 internal error, 2 the user's input is wrong and nothing
was done, 3 finished with some inputs rejected.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_INPUT = 2
EXIT_PARTIAL = 3

ERROR = "feil"
WARNING = "advarsel"


@dataclass(frozen=True)
class Problem:
    """One finding about a user's input, located as precisely as we can."""

    message: str
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    line: int | None = None
    column: str | None = None
    severity: str = ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def location(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(Path(self.file).name)
        if self.sheet:
            parts.append(f"ark «{self.sheet}»")
        if self.cell:
            parts.append(f"celle {self.cell}")
        if self.line is not None:
            parts.append(f"linje {self.line}")
        if self.column:
            parts.append(f"kolonne «{self.column}»")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        prefix = "Advarsel: " if self.severity == WARNING else ""
        return f"{where}: {prefix}{self.message}" if where else f"{prefix}{self.message}"


class ExcelkortError(Exception):
    """Base of every error excelkort raises on purpose."""

    exit_code = EXIT_INTERNAL


class InputError(ExcelkortError):
    """The user's input is wrong; nothing was done. Carries one or more located problems."""

    exit_code = EXIT_INPUT

    def __init__(self, problems: "list[Problem] | Problem | str", **where):
        if isinstance(problems, str):
            problems = [Problem(problems, **where)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]


#: how often the same problem is shown before the rest of its lines are only counted
SHOWN_REPEATS = 3
_VALUES = re.compile(r"«[^»]*»|\(\d[^)]*\)|-?\d+(?:[,.]\d+)?")


def _same_kind(p: Problem) -> tuple:
    """Problems of one kind differ only in the line and the values they quote."""
    return (p.file, p.sheet, p.column, p.severity, _VALUES.sub("#", p.message))


def collapse_repeated(problems: list[Problem], shown: int = SHOWN_REPEATS) -> list[Problem]:
    """The problems as a user reads them: one repeated on many lines is shown ``shown`` times,
    then counted on one line («… og 38 045 rader til med samme feil.»)."""
    groups: dict[tuple, list[Problem]] = defaultdict(list)
    for p in problems:
        groups[_same_kind(p)].append(p)
    out = []
    for p in problems:
        group = groups[_same_kind(p)]
        if len(group) <= shown + 1 or p is group[0] or p in group[1:shown]:
            out.append(p)
        elif p is group[shown]:
            rest = f"{len(group) - shown:,}".replace(",", " ")
            what = "feil" if p.is_error else "advarsel"
            out.append(Problem(f"… og {rest} rader til med samme {what}.", file=p.file,
                               sheet=p.sheet, column=p.column, severity=p.severity))
    return out


def raise_if_errors(problems: list[Problem], into: list[Problem] | None = None) -> list[Problem]:
    """Raise InputError if any problem is an error; otherwise return the warnings (also added
    to ``into`` when given, a caller's list of warnings)."""
    if any(p.is_error for p in problems):
        raise InputError(problems)
    if into is not None:
        into.extend(problems)
    return problems


def count_word(n: int, singular: str, plural: str) -> str:
    """«1 fil», «2 filer»: Norwegian number agreement for summaries."""
    return f"{n} {singular if n == 1 else plural}"


MSG_INTERNAL_FILE = ("{name}: Intern feil {during} ({kind}: {detail}); {unchanged}. Meld fra til den "
                     "som drifter excelkort.")


def internal_file_error(path: Path, during: str, exc: BaseException,
                        unchanged: str = "filen er ikke endret") -> str:
    """The one line for an unexpected error with one file of a batch, which is then rejected and
    the batch goes on (``during``: «ved fylling», «i tiltak» …)."""
    return MSG_INTERNAL_FILE.format(name=Path(path).name, during=during, kind=exc.__class__.__name__,
                                    detail=exc, unchanged=unchanged)
