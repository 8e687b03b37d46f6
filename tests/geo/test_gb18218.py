"""GB 18218-2018 identification and grading (geo/gb18218.py).

Golden numbers come from the standard's own tables (Table 1 critical quantities, Table 2/4 categories
and β, Table 3 named β, Table 5 α, Table 6 grades), as transcribed in geo/data/gb18218_2018.json, or
from the published worked example named in the test's docstring. None is taken from this module's
output.
"""

import json
import math
from decimal import Decimal

import pytest

from geo.gb18218 import (
    DATA_FILE,
    Chemical,
    ClassificationError,
    Holding,
    categories,
    correction_alpha,
    correction_beta,
    critical_quantity,
    grade_for,
    identify,
    table1_rows,
)

AMMONIA = Chemical("液氨", cas="7664-41-7", table1_seq=1, categories=("W2", "J3"))
SULFUR_DIOXIDE = Chemical("二氧化硫", cas="7446-09-5", table1_seq=4)
CHLORINE = Chemical("液氯", cas="7782-50-5", table1_seq=12)
HYDROGEN_SULFIDE = Chemical("硫化氢", cas="7783-06-4", table1_seq=10)
LPG = Chemical("液化石油气", table1_seq=52, categories=("W2",))
METHANOL = Chemical("甲醇", cas="67-56-1", table1_seq=65, categories=("W5.3",))
# Flammable liquids that are not Table 1 rows (category 2 -> W5.3, category 3 -> W5.4).
ISOPROPANOL = Chemical("异丙醇", cas="67-63-0", categories=("W5.3",))
N_BUTANOL = Chemical("正丁醇", cas="71-36-3", categories=("W5.4",))


# --- the published worked example ---------------------------------------------------------------


def test_exam_item_sulfur_dioxide_200_t_with_60_residents_is_grade_3_with_r_30():
    """Exam item: SO₂ (toxic gas, β = 2, Q = 20 t), 60 persons exposed (α = 1.5), 200 t stored
    -> R = 1.5 × (2 × 200 / 20) = 30, 三级.

    Sources: https://www.8fe.cn/test-question-282515.html and
    http://www.cquc.net:8089/YFB12/examTab_getExam.action?ex_Id=29970&su_Id=7 (answer C, 三级).
    Its numbers agree with GB 18218-2018 Table 1 row 4, Table 3, Table 5 and Table 6.
    """
    result = identify([Holding(SULFUR_DIOXIDE, 200, label="SO₂ storage")], population=60)

    assert result.s == 10.0
    assert result.is_major
    assert result.alpha == 1.5
    (term,) = result.terms
    assert (term.critical_t, term.beta) == (20.0, 2.0)
    assert result.r == 30.0
    assert result.grade == 3


# --- critical quantity Q (clause 4.1.2, Tables 1 and 2) -----------------------------------------


@pytest.mark.parametrize(
    ("chemical", "q_t", "basis"),
    [
        (CHLORINE, 5.0, "Table 1 row 12 (氯)"),
        (AMMONIA, 10.0, "Table 1 row 1 (氨)"),
        (LPG, 50.0, "Table 1 row 52 (液化石油气(含丙烷、丁烷及其混合物))"),
        (METHANOL, 500.0, "Table 1 row 65 (甲醇)"),
        (SULFUR_DIOXIDE, 20.0, "Table 1 row 4 (二氧化硫)"),
    ],
)
def test_a_table1_substance_takes_its_table1_critical_quantity(chemical, q_t, basis):
    """Table 1: 氯 5 t, 氨 10 t, 液化石油气 50 t, 甲醇 500 t, 二氧化硫 20 t."""
    assert critical_quantity(chemical) == (q_t, basis)


def test_table1_wins_over_table2_for_a_table1_substance():
    """Methanol is Table 1 row 65 (500 t) although its category W5.3 alone would give 1000 t (Table 2)."""
    assert critical_quantity(METHANOL)[0] == 500.0
    assert critical_quantity(Chemical("甲醇 without seq", categories=("W5.3",)))[0] == 1000.0


def test_conditional_table1_rows_sharing_a_cas_are_told_apart_by_seq():
    """Nitrocellulose rows 37 (dry, 1 t) and 41 (water ≥ 25 %, 50 t) share CAS 9004-70-0;
    ammonium nitrate rows 43 (combustibles > 0.2 %, 5 t) and 44 (≤ 0.2 %, 50 t) share 6484-52-2."""
    assert critical_quantity(Chemical("硝化棉(干)", cas="9004-70-0", table1_seq=37))[0] == 1.0
    assert critical_quantity(Chemical("硝化棉(含水)", cas="9004-70-0", table1_seq=41))[0] == 50.0
    assert critical_quantity(Chemical("硝酸铵", cas="6484-52-2", table1_seq=43))[0] == 5.0
    assert critical_quantity(Chemical("硝酸铵", cas="6484-52-2", table1_seq=44))[0] == 50.0


def test_a_substance_outside_table1_takes_the_table2_critical_quantity_of_its_category():
    """Table 2: W5.3 (other flammable liquids category 2) 1000 t, W5.4 (other category 3) 5000 t."""
    assert critical_quantity(ISOPROPANOL) == (1000.0, "Table 2 W5.3")
    assert critical_quantity(N_BUTANOL) == (5000.0, "Table 2 W5.4")


@pytest.mark.parametrize(
    ("chemical", "condition", "symbol", "q_t"),
    [
        (ISOPROPANOL, "above_boiling_point", "W5.1", 10.0),
        (ISOPROPANOL, "special_process", "W5.2", 50.0),
        (N_BUTANOL, "above_boiling_point", "W5.1", 10.0),
        (N_BUTANOL, "special_process", "W5.2", 50.0),
    ],
)
def test_the_operating_condition_moves_a_flammable_liquid_outside_table1_to_w51_or_w52(
    chemical, condition, symbol, q_t
):
    """Table 2: W5.1 = categories 2 and 3 with working temperature above the boiling point (10 t);
    W5.2 = categories 2 and 3 under special process conditions (50 t)."""
    critical_t, basis = critical_quantity(chemical, condition)
    assert critical_t == q_t
    assert basis.startswith(f"Table 2 {symbol}")


def test_the_operating_condition_does_not_change_a_table1_critical_quantity():
    """Clause 4.1.2: a Table 1 substance takes Table 1's quantity (甲醇 500 t) whatever the equipment."""
    assert critical_quantity(METHANOL, "above_boiling_point")[0] == 500.0


def test_with_several_categories_the_lowest_critical_quantity_applies():
    """Clause 4.1.2; Table 2: W2 (flammable gas) 10 t, J3 (acute toxicity 2/3, gas) 50 t -> 10 t."""
    critical_t, basis = critical_quantity(Chemical("a gas outside Table 1", categories=("J3", "W2")))
    assert critical_t == 10.0
    assert basis.startswith("Table 2 W2")


# --- correction β (Tables 3 and 4) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("chemical", "beta"),
    [(CHLORINE, 4.0), (AMMONIA, 2.0), (SULFUR_DIOXIDE, 2.0), (HYDROGEN_SULFIDE, 5.0)],
)
def test_a_named_toxic_gas_takes_its_table3_beta(chemical, beta):
    """Table 3: 氯 β = 4, 氨 2, 二氧化硫 2, 硫化氢 5 (ammonia's W2/J3 categories are not used)."""
    value, basis = correction_beta(chemical)
    assert value == beta
    assert basis.startswith("Table 3")


def test_table3_finds_the_gas_by_the_table1_row_cas_when_the_chemical_has_none():
    """Table 3 氯 β = 4, found through Table 1 row 12's CAS 7782-50-5."""
    assert correction_beta(Chemical("氯气", table1_seq=12))[0] == 4.0


def test_carbon_monoxide_is_found_in_table3_by_its_cas():
    """Table 3: 一氧化碳 β = 2 (CAS 630-08-0; CO is not a separate Table 1 row)."""
    assert correction_beta(Chemical("一氧化碳", cas="630-08-0", table1_seq=13))[0] == 2.0


def test_outside_table3_beta_comes_from_table4_by_category():
    """Table 4: W2 (液化石油气) β = 1.5, W5.3 (甲醇) β = 1."""
    assert correction_beta(LPG) == (1.5, "Table 4 W2")
    assert correction_beta(METHANOL) == (1.0, "Table 4 W5.3")


def test_the_operating_condition_moves_a_flammable_liquid_to_the_table4_beta_of_w51():
    """Table 4: W5.1 β = 1.5, W5.2 β = 1. Interpretation: Table 4's symbols are Table 2's, so the
    condition applies to β also for a Table 1 liquid (甲醇 above its boiling point -> W5.1)."""
    assert correction_beta(ISOPROPANOL, "above_boiling_point")[0] == 1.5
    assert correction_beta(ISOPROPANOL, "special_process")[0] == 1.0
    assert correction_beta(METHANOL, "above_boiling_point")[0] == 1.5


def test_with_several_categories_the_largest_beta_is_taken_and_the_basis_says_it_is_an_interpretation():
    """Table 4: W2 β = 1.5, J3 β = 2 -> 2. The standard does not say which applies; we take the largest."""
    beta, basis = correction_beta(Chemical("a gas outside Table 1", categories=("W2", "J3")))
    assert beta == 2.0
    assert basis.startswith("Table 4 J3")
    assert "interpretation:" in basis


def test_every_table2_category_has_a_table4_beta():
    """Tables 2 and 4 list the same 24 symbols; e.g. W2 10 t β 1.5, W5.1 10 t β 1.5, J1 5 t β 4."""
    rows = {row["symbol"]: row for row in categories()}
    assert len(rows) == 24
    assert (rows["W2"]["critical_t"], rows["W2"]["beta"]) == (10.0, 1.5)
    assert (rows["W5.1"]["critical_t"], rows["W5.1"]["beta"]) == (10.0, 1.5)
    assert (rows["J1"]["critical_t"], rows["J1"]["beta"]) == (5.0, 4.0)


# --- correction α (Table 5) and grades (Table 6) --------------------------------------------------


@pytest.mark.parametrize(
    ("population", "alpha"),
    [(0, 0.5), (1, 1.0), (29, 1.0), (30, 1.2), (49, 1.2), (50, 1.5), (99, 1.5), (100, 2.0), (5000, 2.0)],
)
def test_alpha_at_every_table5_band_edge(population, alpha):
    """Table 5: 0 persons 0.5; 1-29 1.0; 30-49 1.2; 50-99 1.5; 100 or more 2.0."""
    assert correction_alpha(population) == alpha


@pytest.mark.parametrize(
    ("r", "grade"),
    [(100, 1), (99.99, 2), (50, 2), (49.99, 3), (10, 3), (9.99, 4), (0, 4), (1000, 1)],
)
def test_grade_at_every_table6_edge(r, grade):
    """Table 6: 一级 R ≥ 100; 二级 50 ≤ R < 100; 三级 10 ≤ R < 50; 四级 R < 10."""
    assert grade_for(r) == grade


@pytest.mark.parametrize(
    ("population", "chemical_a", "q_a", "chemical_b", "q_b", "r", "grade"),
    [
        # 0.5 × (4 × 0.1/5 + 2 × 99.6/10) = 0.5 × 20 = 10 -> 三级
        (0, CHLORINE, 0.1, AMMONIA, 99.6, 10.0, 3),
        # 0.5 × (4 × 1.5/5 + 5 × 98.8/5) = 0.5 × 100 = 50 -> 二级
        (0, CHLORINE, 1.5, HYDROGEN_SULFIDE, 98.8, 50.0, 2),
        # 1.0 × (4 × 1.5/5 + 5 × 98.8/5) = 100 -> 一级
        (1, CHLORINE, 1.5, HYDROGEN_SULFIDE, 98.8, 100.0, 1),
    ],
)
def test_an_r_that_is_exactly_on_a_grade_edge_is_not_pushed_below_it_by_floating_point(
    population, chemical_a, q_a, chemical_b, q_b, r, grade
):
    """Table 6 edges are inclusive (R ≥ 10, ≥ 50, ≥ 100). In binary floating point these sums come out
    a hair below the edge (e.g. 49.99999999999999); R is compared after rounding to 9 decimals.
    β: Table 3 氯 4, 氨 2, 硫化氢 5; Q: Table 1 5 t, 10 t, 5 t; α: Table 5 (0 -> 0.5, 1 -> 1.0)."""
    result = identify([Holding(chemical_a, q_a), Holding(chemical_b, q_b)], population)
    assert result.r == r
    assert result.grade == grade


def test_grade_for_rounds_to_nine_decimals_before_comparing():
    """Table 6: 二级 starts at R = 50; 49.99999999999999 is 50 within floating-point error."""
    assert grade_for(49.99999999999999) == 2


# --- identification (clause 4.2.1) ---------------------------------------------------------------


def test_the_same_substance_in_several_pieces_of_equipment_is_summed_into_one_q():
    """Clause 4.2.1/4.2.2; Table 1 氨 10 t: 6 t + 4 t in two tanks -> q = 10 t, S = 1 -> major.
    Table 3 氨 β = 2, Table 5 α(0) = 0.5 -> R = 0.5 × 2 × 1 = 1 -> 四级."""
    result = identify([Holding(AMMONIA, 6, label="V-101"), Holding(AMMONIA, 4, label="V-102")], population=0)

    (term,) = result.terms
    assert term.q_t == 10.0
    assert term.contributions == (("V-101", 6.0), ("V-102", 4.0))
    assert result.s == 1.0
    assert result.is_major
    assert result.r == 1.0
    assert result.grade == 4


def test_s_sums_q_over_q_across_substances():
    """Clause 4.2.1; Table 1 氨 10 t, 氯 5 t: 3 t + 4 t of ammonia (0.7) and 1.5 t of chlorine (0.3)
    -> S = 1 -> major. R = α(0) 0.5 × (2 × 0.7 + 4 × 0.3) = 1.3 -> 四级."""
    result = identify(
        [Holding(AMMONIA, 3, label="V-1"), Holding(CHLORINE, 1.5, label="cylinders"), Holding(AMMONIA, 4)],
        population=0,
    )
    assert [term.chemical_name for term in result.terms] == ["液氨", "液氯"]
    assert [term.ratio for term in result.terms] == [pytest.approx(0.7), pytest.approx(0.3)]
    assert result.s == 1.0
    assert result.r == pytest.approx(1.3)
    assert result.grade == 4


def test_an_s_that_is_exactly_1_is_not_pushed_below_it_by_floating_point():
    """Clause 4.2.1 (S ≥ 1); Table 1 氯 5 t, 氨 10 t: 3.3/5 + 3.4/10 = 0.66 + 0.34 = 1, which binary
    floating point computes as 0.9999999999999999."""
    result = identify([Holding(CHLORINE, 3.3), Holding(AMMONIA, 3.4)], population=10)
    assert result.s == 1.0
    assert result.is_major


def test_below_the_critical_quantity_the_unit_is_not_major_and_not_graded():
    """Table 1 氨 10 t: 9.9 t -> S = 0.99 < 1, so no R and no grade."""
    result = identify([Holding(AMMONIA, 9.9)], population=200)
    assert result.s == pytest.approx(0.99)
    assert not result.is_major
    assert (result.r, result.grade) == (None, None)


def test_an_empty_unit_has_s_0_and_is_not_major():
    result = identify([], population=0)
    assert (result.s, result.is_major, result.r, result.grade, result.terms) == (0.0, False, None, None, ())


def test_the_condition_of_the_equipment_moves_a_flammable_liquid_into_a_major_hazard_source():
    """Table 2: isopropanol (category 2, not in Table 1) is W5.3 (1000 t) in a tank but W5.1 (10 t)
    above its boiling point: 20 t in a reactor -> S = 2; Table 4 W5.1 β 1.5, α(1) = 1 -> R = 3, 四级."""
    assert not identify([Holding(ISOPROPANOL, 20)], population=1).is_major

    result = identify([Holding(ISOPROPANOL, 20, condition="above_boiling_point")], population=1)
    assert result.s == 2.0
    assert result.r == 3.0
    assert result.grade == 4


def test_to_dict_explains_every_number_and_is_json_serialisable():
    """Same numbers as the exam item (8fe.cn / cquc.net): q 200 t, Q 20 t, β 2, α 1.5, R 30, 三级."""
    explained = identify([Holding(SULFUR_DIOXIDE, 200, label="T-1")], population=60).to_dict()

    assert json.loads(json.dumps(explained)) == explained
    assert explained["standard"] == "GB 18218-2018"
    assert (explained["alpha"], explained["population"], explained["r"]) == (1.5, 60, 30.0)
    assert (explained["grade"], explained["grade_cn"]) == (3, "三级")
    (term,) = explained["terms"]
    assert (term["q_t"], term["critical_t"], term["beta"], term["ratio"]) == (200.0, 20.0, 2.0, 10.0)
    assert term["critical_basis"] == "Table 1 row 4 (二氧化硫)"
    assert term["contributions"] == [{"label": "T-1", "q_t": 200.0}]


# --- errors ---------------------------------------------------------------------------------------


def test_a_substance_neither_in_table1_nor_with_a_category_cannot_be_classified():
    with pytest.raises(ClassificationError) as raised:
        identify([Holding(Chemical("某溶剂"), 1)], population=0)
    assert raised.value.code == "unclassifiable"
    assert raised.value.substance == "某溶剂"
    assert "某溶剂" in str(raised.value)
    assert "cannot be classified under GB 18218-2018" in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_an_unknown_table1_row_is_an_error_naming_it():
    with pytest.raises(ClassificationError, match="86") as raised:
        critical_quantity(Chemical("no such row", table1_seq=86))
    assert raised.value.code == "unknown_table1_seq"


def test_an_unknown_category_symbol_is_an_error_naming_it():
    with pytest.raises(ClassificationError, match=r"W5\.5") as raised:
        critical_quantity(Chemical("typo", categories=("W5.5",)))
    assert raised.value.code == "unknown_category"


def test_a_major_unit_with_a_table1_substance_whose_beta_is_unknown_is_an_error():
    """Methanol is Table 1 row 65 but not in Table 3: without a category Table 4 gives no β."""
    with pytest.raises(ClassificationError) as raised:
        identify([Holding(Chemical("甲醇", table1_seq=65), 600)], population=0)
    assert raised.value.code == "no_beta_category"


def test_beta_is_not_needed_when_the_unit_is_not_major():
    result = identify([Holding(Chemical("甲醇", table1_seq=65), 100)], population=0)
    assert not result.is_major
    assert result.terms[0].beta is None


@pytest.mark.parametrize("q_t", [-1, -0.001, math.nan, math.inf])
def test_a_negative_or_non_finite_quantity_is_an_error_naming_the_field(q_t):
    with pytest.raises(ValueError, match="q_t"):
        Holding(AMMONIA, q_t)


def test_a_negative_population_is_an_error_naming_the_field():
    with pytest.raises(ValueError, match="population"):
        identify([Holding(AMMONIA, 20)], population=-1)


def test_an_unknown_condition_is_an_error_naming_the_field():
    with pytest.raises(ValueError, match="condition"):
        Holding(ISOPROPANOL, 1, condition="hot")


def test_a_decimal_quantity_is_accepted_as_tonnes():
    assert Holding(AMMONIA, Decimal("2.5")).q_t == 2.5


# --- the shipped data -----------------------------------------------------------------------------


def test_the_shipped_table1_has_85_rows_numbered_1_to_85():
    rows = table1_rows()
    assert [row["seq"] for row in rows] == list(range(1, 86))
    assert set(rows[0]) == {"seq", "name_cn", "name_en", "alias_cn", "cas", "critical_t"}


def test_every_table3_gas_resolves_by_cas():
    """Table 3 lists 14 gases; each CAS gives its named β (CO through 630-08-0, the others through
    their Table 1 row's CAS)."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    table1_cas = {cas: row["name_cn"] for row in table1_rows() for cas in row["cas"]}
    assert len(data["beta_named"]) == 14
    for row in data["beta_named"]:
        cas = row["cas_via_table1"].split()[0]
        assert cas == "630-08-0" or table1_cas[cas].startswith(row["name_cn"])
        beta, basis = correction_beta(Chemical(row["name_cn"], cas=cas))
        assert (beta, basis) == (float(row["beta"]), f"Table 3 {row['name_cn']} (CAS {cas})")
