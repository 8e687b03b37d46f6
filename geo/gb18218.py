"""GB 18218-2018 《危险化学品重大危险源辨识》: identification (clause 4.2) and grading (clause 4.3).

Plain Python, no Django. Every quantity is in tonnes (t). The tables are read once from
``data/gb18218_2018.json`` next to this module (see ``data/README.md`` for where the numbers come from).

* Identification (4.2.1): S = Σ qᵢ/Qᵢ over the substances of one unit; the unit is a major hazard
  source when S ≥ 1. qᵢ is the design maximum quantity (4.2.2), summed over the unit's equipment.
* Critical quantity Q (4.1.2): Table 1 for its 85 named rows, otherwise Table 2 by hazard category,
  the lowest Q when a substance has several categories.
* Grading (4.3.2): R = α·Σ βᵢ·qᵢ/Qᵢ, β from Table 3 (named toxic gases) or Table 4 (categories),
  α from Table 5 (permanent residents within 500 m outside the plant boundary), grade from Table 6.

S and R are rounded to 9 decimal places before they are compared with 1 and with 10/50/100, so that
binary floating point cannot move a result that is exactly on a boundary to the lower side.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

STANDARD = "GB 18218-2018"
DATA_FILE = Path(__file__).parent / "data" / "gb18218_2018.json"
DECIMALS = 9  # S and R are rounded to this many places before comparison

# Operating condition of the equipment holding a flammable liquid (Table 2, rows W5.1-W5.4).
CONDITIONS = ("", "above_boiling_point", "special_process")
_PROMOTION = {
    # categories 2 and 3 with working temperature above the boiling point are W5.1
    "above_boiling_point": {"W5.2": "W5.1", "W5.3": "W5.1", "W5.4": "W5.1"},
    # categories 2 and 3 under special process conditions (hazardous process, operation within or
    # near the explosive limits, operating pressure > 1.6 MPa) are W5.2
    "special_process": {"W5.3": "W5.2", "W5.4": "W5.2"},
}

GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
_GRADE_NUMBERS = {name: grade for grade, name in GRADE_NAMES.items()}
_CAS = re.compile(r"\d{2,7}-\d{2}-\d")


class ClassificationError(ValueError):
    """A substance cannot be given a critical quantity or a β under GB 18218-2018.

    ``substance`` is the substance's name and ``code`` a short machine-readable reason
    ("unclassifiable", "unknown_table1_seq", "unknown_category", "no_beta_category"), so that callers
    can translate the message.
    """

    def __init__(self, message: str, *, substance: str, code: str) -> None:
        super().__init__(message)
        self.substance = substance
        self.code = code


@dataclass(frozen=True)
class Chemical:
    """What grading needs to know of a substance.

    ``table1_seq`` is the row number ("序号") in Table 1 when the substance is one of its 85 rows; it
    is the identification, because CAS numbers are missing for some rows and shared by conditional
    rows (nitrocellulose 37-42, ammonium nitrate 43/44). ``categories`` are Table 2 symbols such as
    "W2", "W5.3" or "J3". ``cas`` is used to find the substance in Table 3 (named toxic gases).
    """

    name: str
    cas: str | None = None
    table1_seq: int | None = None
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.categories, str):
            raise TypeError(f"categories must be a sequence of Table 2 symbols, not {self.categories!r}")
        object.__setattr__(self, "categories", tuple(self.categories))


@dataclass(frozen=True)
class Holding:
    """One piece of equipment's design maximum quantity ``q_t`` (tonnes) of one chemical.

    ``condition`` is the equipment's operating condition for flammable liquids: "" (none),
    "above_boiling_point" or "special_process". ``label`` (e.g. the equipment's name) is shown in
    the explanation.
    """

    chemical: Chemical
    q_t: float
    condition: str = ""
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "q_t", _tonnes("q_t", self.q_t))
        _check_condition(self.condition)


@dataclass(frozen=True)
class Term:
    """One substance's line of the calculation: qᵢ, Qᵢ and βᵢ, with where each comes from.

    ``q_t`` (t) is the sum of ``contributions`` ((label, q in t) of each holding); ``critical_t`` is
    Q in t; ``ratio`` is q/Q. ``beta`` is None only when the unit is not a major hazard source (so
    not graded) and β cannot be determined.
    """

    chemical_name: str
    condition: str
    q_t: float
    critical_t: float
    critical_basis: str
    beta: float | None
    beta_basis: str
    ratio: float
    contributions: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Identification:
    """Result for one unit: S, whether it is a major hazard source, and (if it is) R and its grade.

    ``grade`` is 1 (一级, most severe) to 4 (四级); ``r`` and ``grade`` are None when S < 1.
    ``alpha`` is Table 5's α for ``population`` (permanent residents within 500 m of the boundary).
    """

    s: float
    is_major: bool
    r: float | None
    grade: int | None
    alpha: float
    population: int
    terms: tuple[Term, ...]

    def to_dict(self) -> dict:
        """A JSON-serialisable explanation with every qᵢ, Qᵢ, βᵢ and α."""
        return {
            "standard": STANDARD,
            "s": self.s,
            "is_major": self.is_major,
            "r": self.r,
            "grade": self.grade,
            "grade_cn": GRADE_NAMES.get(self.grade),
            "alpha": self.alpha,
            "alpha_basis": _alpha_basis(self.population),
            "population": self.population,
            "terms": [
                {
                    "chemical_name": term.chemical_name,
                    "condition": term.condition,
                    "q_t": term.q_t,
                    "critical_t": term.critical_t,
                    "critical_basis": term.critical_basis,
                    "ratio": term.ratio,
                    "beta": term.beta,
                    "beta_basis": term.beta_basis,
                    "contributions": [{"label": label, "q_t": q} for label, q in term.contributions],
                }
                for term in self.terms
            ],
        }


# --- the tables -----------------------------------------------------------------------------------


@cache
def _data() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


@cache
def _table1() -> dict[int, dict]:
    return {row["seq"]: row for row in _data()["table1"]}


@cache
def _table2() -> dict[str, dict]:
    return {row["symbol"]: row for row in _data()["table2"]}


@cache
def _table3() -> dict[str, dict]:
    """Table 3 rows by CAS number (the JSON's CO entry has a remark after its number)."""
    rows = {}
    for row in _data()["beta_named"]:
        match = _CAS.match(row["cas_via_table1"])
        if match is None:
            raise RuntimeError(f"Table 3 row {row['name_cn']} has no CAS number in {DATA_FILE}")
        rows[match.group()] = row
    return rows


@cache
def _table4() -> dict[str, float]:
    return {row["symbol"]: float(row["beta"]) for row in _data()["beta_category"]}


def table1_rows() -> list[dict]:
    """The 85 Table 1 rows: seq, name_cn, name_en (not in the standard), alias_cn, cas (list), critical_t."""
    keys = ("seq", "name_cn", "name_en", "alias_cn", "critical_t")
    return [{**{key: row[key] for key in keys}, "cas": list(row["cas"])} for row in _data()["table1"]]


def categories() -> list[dict]:
    """Table 2 rows (symbol, category_cn, description_cn, critical_t in t, critical_note) and Table 4's β."""
    keys = ("symbol", "category_cn", "description_cn", "critical_t", "critical_note")
    betas = _table4()
    return [{**{key: row[key] for key in keys}, "beta": betas[row["symbol"]]} for row in _data()["table2"]]


# --- the rules ------------------------------------------------------------------------------------


def critical_quantity(chemical: Chemical, condition: str = "") -> tuple[float, str]:
    """Critical quantity Q in tonnes (clause 4.1.2) and its basis, e.g. "Table 1 row 12 (氯)".

    Table 1 when ``chemical.table1_seq`` is set (the condition does not matter then); otherwise
    Table 2 by the chemical's categories, flammable liquids moved by ``condition``, and the lowest
    Q when there are several.
    """
    _check_condition(condition)
    symbols = _effective_categories(chemical, condition)
    if chemical.table1_seq is not None:
        row = _table1_row(chemical)
        return float(row["critical_t"]), f"Table 1 row {row['seq']} ({row['name_cn']})"
    if not symbols:
        raise ClassificationError(
            f"{chemical.name!r} cannot be classified under {STANDARD}: "
            "it is not in Table 1 (no table1_seq) and has no Table 2 category",
            substance=chemical.name,
            code="unclassifiable",
        )
    q_t, symbol, given = min(
        ((float(_table2()[symbol]["critical_t"]), symbol, given) for symbol, given in symbols),
        key=lambda choice: choice[0],
    )
    basis = f"Table 2 {symbol}" + _promotion_note(symbol, given, condition)
    if _table2()[symbol]["critical_note"]:
        basis += f" ({_table2()[symbol]['critical_note']})"
    if len(symbols) > 1:
        listed = ", ".join(f"{s} {_table2()[s]['critical_t']:g} t" for s, _ in symbols)
        basis += f"; lowest of {listed} (clause 4.1.2)"
    return q_t, basis


def correction_beta(chemical: Chemical, condition: str = "") -> tuple[float, str]:
    """Correction coefficient β (dimensionless, clause 4.3.2) and its basis.

    Table 3 when the chemical's CAS (or its Table 1 row's CAS) is a named toxic gas there; otherwise
    Table 4 by its categories, flammable liquids moved by ``condition`` as in Table 2 (this also for
    Table 1 substances, since Table 4's symbols are Table 2's). With several categories the standard
    does not say which β applies: the largest is taken (conservative) and the basis says so.
    """
    _check_condition(condition)
    symbols = _effective_categories(chemical, condition)
    cas_numbers = [chemical.cas] if chemical.cas else []
    if chemical.table1_seq is not None:
        cas_numbers += _table1_row(chemical)["cas"]
    for cas in cas_numbers:
        if cas in _table3():
            row = _table3()[cas]
            return float(row["beta"]), f"Table 3 {row['name_cn']} (CAS {cas})"
    if not symbols:
        if chemical.table1_seq is None:
            critical_quantity(chemical, condition)  # raises the "unclassifiable" error
        raise ClassificationError(
            f"β for {chemical.name!r} cannot be determined under {STANDARD}: "
            "it is not a Table 3 toxic gas and has no Table 4 category",
            substance=chemical.name,
            code="no_beta_category",
        )
    beta, symbol, given = max(
        ((_table4()[symbol], symbol, given) for symbol, given in symbols), key=lambda choice: choice[0]
    )
    basis = f"Table 4 {symbol}" + _promotion_note(symbol, given, condition)
    if len({_table4()[s] for s, _ in symbols}) > 1:
        listed = ", ".join(f"{s} β={_table4()[s]:g}" for s, _ in symbols)
        basis += (
            f"; interpretation: the standard does not say which β applies to a substance with several "
            f"categories outside Table 3, the largest of {listed} is taken (conservative)"
        )
    return beta, basis


def correction_alpha(population: int) -> float:
    """α (Table 5) for the number of permanent residents within 500 m outside the plant boundary."""
    return float(_alpha_row(population)["alpha"])


def grade_for(r: float) -> int:
    """Grade 1 (一级) to 4 (四级) of a major hazard source with index R (Table 6).

    R is rounded to 9 decimal places first: 1 when R ≥ 100, 2 when 50 ≤ R < 100, 3 when
    10 ≤ R < 50, 4 when R < 10.
    """
    if isinstance(r, bool) or not isinstance(r, (int, float, Decimal)) or not math.isfinite(r) or r < 0:
        raise ValueError(f"r must be a finite number >= 0, got {r!r}")
    rounded = round(float(r), DECIMALS)
    for row in _data()["grades"]:
        lowest = -math.inf if row["r_min"] is None else row["r_min"]
        highest = math.inf if row["r_max"] is None else row["r_max"]
        if lowest <= rounded < highest:
            return _GRADE_NUMBERS[row["grade"]]
    raise AssertionError(f"Table 6 in {DATA_FILE} does not cover R = {rounded}")


def identify(holdings: Sequence[Holding], population: int) -> Identification:
    """Identify and grade one unit (生产单元 or 储存单元) from its holdings.

    Holdings of the same chemical under the same condition are summed into one qᵢ (t), keeping each
    contribution. ``population`` is the number of permanent residents within 500 m outside the plant
    boundary. An empty unit gives S = 0 (not a major hazard source).
    """
    alpha = correction_alpha(population)
    groups: dict[tuple[Chemical, str], list[Holding]] = {}
    for holding in holdings:
        groups.setdefault((holding.chemical, holding.condition), []).append(holding)

    lines = []
    for (chemical, condition), group in groups.items():
        q_t = math.fsum(holding.q_t for holding in group)
        critical_t, critical_basis = critical_quantity(chemical, condition)
        lines.append((chemical, condition, group, q_t, critical_t, critical_basis, q_t / critical_t))
    s = round(math.fsum(line[-1] for line in lines), DECIMALS)
    is_major = s >= 1

    terms = []
    for chemical, condition, group, q_t, critical_t, critical_basis, ratio in lines:
        try:
            beta, beta_basis = correction_beta(chemical, condition)
        except ClassificationError as error:
            if is_major or error.code != "no_beta_category":
                raise
            beta, beta_basis = None, f"not determined (not needed, S < 1): {error}"
        terms.append(
            Term(
                chemical_name=chemical.name,
                condition=condition,
                q_t=q_t,
                critical_t=critical_t,
                critical_basis=critical_basis,
                beta=beta,
                beta_basis=beta_basis,
                ratio=ratio,
                contributions=tuple((holding.label, holding.q_t) for holding in group),
            )
        )

    r = grade = None
    if is_major:
        r = round(alpha * math.fsum(term.beta * term.ratio for term in terms), DECIMALS)
        grade = grade_for(r)
    return Identification(s, is_major, r, grade, alpha, population, tuple(terms))


# --- helpers --------------------------------------------------------------------------------------


def _tonnes(field: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)) or not math.isfinite(value):
        raise ValueError(f"{field} must be a finite number of tonnes, got {value!r}")
    if value < 0:
        raise ValueError(f"{field} must not be negative, got {value!r} t")
    return float(value)


def _check_condition(condition: str) -> None:
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {CONDITIONS}, got {condition!r}")


def _table1_row(chemical: Chemical) -> dict:
    row = _table1().get(chemical.table1_seq)
    if row is None:
        raise ClassificationError(
            f"{chemical.name!r}: {chemical.table1_seq!r} is not a row of {STANDARD} Table 1 (rows 1-85)",
            substance=chemical.name,
            code="unknown_table1_seq",
        )
    return row


def _effective_categories(chemical: Chemical, condition: str) -> list[tuple[str, str]]:
    """(symbol that applies under the condition, symbol given) for each of the chemical's categories."""
    result = []
    for given in chemical.categories:
        if given not in _table2():
            raise ClassificationError(
                f"{chemical.name!r}: {given!r} is not a {STANDARD} Table 2 category (known: {', '.join(_table2())})",
                substance=chemical.name,
                code="unknown_category",
            )
        result.append((_PROMOTION.get(condition, {}).get(given, given), given))
    return result


def _promotion_note(symbol: str, given: str, condition: str) -> str:
    return f" (given {given}, moved by condition {condition!r})" if symbol != given else ""


def _alpha_row(population: int) -> dict:
    if isinstance(population, bool) or not isinstance(population, int):
        raise ValueError(f"population must be a whole number of persons, got {population!r}")
    if population < 0:
        raise ValueError(f"population must not be negative, got {population!r}")
    for row in _data()["alpha"]:
        highest = math.inf if row["population_max"] is None else row["population_max"]
        if row["population_min"] <= population <= highest:
            return row
    raise AssertionError(f"Table 5 in {DATA_FILE} does not cover {population} persons")


def _alpha_basis(population: int) -> str:
    row = _alpha_row(population)
    return f"Table 5: {population} persons within 500 m ({row['label_cn']}) -> α = {row['alpha']:g}"
