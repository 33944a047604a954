"""A tiny expression language: one definition, two outputs.

A rule of SPEC §4 (status, trend, rounding, month value …) is written once as an ``Expr`` tree.
The tree compiles to a Python function (for the numbers engine) and renders to an Excel
formula (for the live workbook), so the two can never drift apart.

Only what the rules need is here: numbers, strings, variables, + − × ÷, comparisons, IF,
ROUND (Excel's: 15 significant digits, half away from zero), ABS, AND, OR. The Excel output
uses functions that Excel 2016 and LibreOffice 7.4 both have.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

__all__ = [
    "Expr", "Const", "Var", "If", "Round", "Abs", "And", "Or", "excel_round", "const",
]


#: 10⁰ … 10¹⁵, each exactly
_POWERS = tuple(float(10 ** d) for d in range(16))


@lru_cache(maxsize=65536)
def _quantum(decimals: int) -> Decimal:
    return Decimal(1).scaleb(-decimals)


def excel_round(value: float, decimals: int) -> float:
    """Excel's ROUND: take the value at 15 significant digits, then round half away from zero.

    So 81.25 → 81.3 and 4.795 → 4.80 (the float 4.79499999… is 4.795 at 15 digits).

    A value whose scaled form is clearly not halfway between two results is rounded in floats:
    taking it at 15 significant digits moves it by at most 5·10⁻¹⁵ of itself, which cannot carry
    it past the halfway point, so the nearest whole number of steps is the answer, and one
    division by the exact power of ten gives the float nearest it, as ``Decimal`` would.
    Everything else (near a half, large, or many decimals) goes the ``Decimal`` way.
    """
    if value == 0 or not math.isfinite(value):
        return value
    if 0 <= decimals <= 15:
        power = _POWERS[decimals]
        scaled = value * power
        if abs(scaled) < 1e13:
            whole = math.floor(scaled)
            if abs(scaled - whole - 0.5) > 1e-12 + 6e-15 * abs(scaled):
                steps = whole + 1 if scaled - whole > 0.5 else whole
                return steps / power if steps else math.copysign(0.0, value)
    return decimal_round(value, decimals)


def decimal_round(value: float, decimals: int) -> float:
    """``excel_round`` in ``Decimal`` arithmetic: the definition, for any value."""
    d = Decimal(format(value, ".15g"))
    return float(d.quantize(_quantum(decimals), rounding=ROUND_HALF_UP))


def const(value) -> "Expr":
    return value if isinstance(value, Expr) else Const(value)


class Expr:
    """Base of the expression tree. Operators build new nodes."""

    # --- building -------------------------------------------------------------------------
    def __add__(self, other): return Bin("+", self, const(other))
    def __radd__(self, other): return Bin("+", const(other), self)
    def __sub__(self, other): return Bin("-", self, const(other))
    def __rsub__(self, other): return Bin("-", const(other), self)
    def __mul__(self, other): return Bin("*", self, const(other))
    def __rmul__(self, other): return Bin("*", const(other), self)
    def __truediv__(self, other): return Bin("/", self, const(other))
    def __rtruediv__(self, other): return Bin("/", const(other), self)
    def __neg__(self): return Bin("-", Const(0), self)
    def ge(self, other): return Cmp(">=", self, const(other))
    def le(self, other): return Cmp("<=", self, const(other))
    def gt(self, other): return Cmp(">", self, const(other))
    def lt(self, other): return Cmp("<", self, const(other))

    # --- output ---------------------------------------------------------------------------
    def py(self) -> str:  # Python source
        raise NotImplementedError

    def xl(self, refs: dict[str, str]) -> str:  # Excel formula text, without "="
        raise NotImplementedError

    def variables(self) -> set[str]:
        raise NotImplementedError

    def excel(self, refs: dict[str, str] | None = None) -> str:
        """Excel formula text (without the leading ``=``); ``refs`` maps variables to cells."""
        refs = refs or {}
        missing = self.variables() - refs.keys()
        if missing:
            raise KeyError(f"no cell reference for {sorted(missing)}")
        return self.xl(refs)

    def compile(self, *argnames: str):
        """A Python function of ``argnames`` that evaluates this expression."""
        missing = self.variables() - set(argnames)
        if missing:
            raise KeyError(f"unbound variables {sorted(missing)}")
        src = f"lambda {', '.join(argnames)}: {self.py()}"
        return eval(src, {"_round": excel_round, "abs": abs})  # noqa: S307 - our own tree


class Const(Expr):
    def __init__(self, value):
        self.value = value

    def py(self):
        return repr(self.value)

    def xl(self, refs):
        v = self.value
        if isinstance(v, str):
            return '"' + v.replace('"', '""') + '"'
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        text = repr(float(v)) if not isinstance(v, int) else str(v)
        return text[:-2] if text.endswith(".0") else text

    def variables(self):
        return set()


class Var(Expr):
    def __init__(self, name: str):
        self.name = name

    def py(self):
        return self.name

    def xl(self, refs):
        return refs[self.name]

    def variables(self):
        return {self.name}


class Bin(Expr):
    def __init__(self, op: str, a: Expr, b: Expr):
        self.op, self.a, self.b = op, a, b

    def py(self):
        return f"({self.a.py()} {self.op} {self.b.py()})"

    def xl(self, refs):
        return f"({self.a.xl(refs)}{self.op}{self.b.xl(refs)})"

    def variables(self):
        return self.a.variables() | self.b.variables()


class Cmp(Bin):
    def py(self):
        return f"({self.a.py()} {self.op} {self.b.py()})"


class If(Expr):
    def __init__(self, cond: Expr, then, otherwise):
        self.cond, self.then, self.otherwise = cond, const(then), const(otherwise)

    def py(self):
        return f"({self.then.py()} if {self.cond.py()} else {self.otherwise.py()})"

    def xl(self, refs):
        return f"IF({self.cond.xl(refs)},{self.then.xl(refs)},{self.otherwise.xl(refs)})"

    def variables(self):
        return self.cond.variables() | self.then.variables() | self.otherwise.variables()


class Round(Expr):
    def __init__(self, x, decimals: int):
        self.x, self.decimals = const(x), int(decimals)

    def py(self):
        return f"_round({self.x.py()}, {self.decimals})"

    def xl(self, refs):
        return f"ROUND({self.x.xl(refs)},{self.decimals})"

    def variables(self):
        return self.x.variables()


class Abs(Expr):
    def __init__(self, x):
        self.x = const(x)

    def py(self):
        return f"abs({self.x.py()})"

    def xl(self, refs):
        return f"ABS({self.x.xl(refs)})"

    def variables(self):
        return self.x.variables()


class _Logical(Expr):
    fn = ""
    pyop = ""

    def __init__(self, *terms: Expr):
        self.terms = terms

    def py(self):
        return "(" + f" {self.pyop} ".join(t.py() for t in self.terms) + ")"

    def xl(self, refs):
        return f"{self.fn}(" + ",".join(t.xl(refs) for t in self.terms) + ")"

    def variables(self):
        out: set[str] = set()
        for t in self.terms:
            out |= t.variables()
        return out


class And(_Logical):
    fn, pyop = "AND", "and"


class Or(_Logical):
    fn, pyop = "OR", "or"
