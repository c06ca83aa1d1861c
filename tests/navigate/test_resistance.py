"""Tests for cllsim.navigate.resistance against the published and reference check values.

Check values come from reference/kendall.md ("Resistance present before treatment",
"Combination therapy"), which copies Iwasa, Nowak & Michor, Genetics 2006;172:2557
(doi:10.1534/genetics.105.049791) and Bozic et al., eLife 2013;2:e00747
(doi:10.7554/eLife.00747).  The formulas are deterministic, so each tolerance is half a unit
in the last digit printed in the reference: the exact value rounds to the printed one.
"""

from __future__ import annotations

import dataclasses
import doctest
import json
import math

import pytest

from cllsim.errors import SpecError
from cllsim.navigate import resistance
from cllsim.navigate.resistance import (
    bozic_eradication,
    expected_resistant_cells,
    p_no_resistant_cell,
    p_no_surviving_resistant_lineage,
    p_resistant_present,
)

# Bozic et al. 2013 defaults (reference/kendall.md "Combination therapy").
BOZIC = {"b": 0.14, "d": 0.13, "d_treated": 0.17, "u": 1e-9, "n1": 50, "n2": 50}


def half_unit(printed: str) -> float:
    """Half a unit in the last printed digit of ``printed``: 0.2500 -> 5e-5."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return 0.5 * 10.0**-decimals


def assert_printed(value: float, printed: str) -> None:
    """``value`` rounds to ``printed``: |value - printed| <= half a unit in its last digit."""
    assert abs(value - float(printed)) <= half_unit(printed), (value, printed)


# --- pre-existing resistance, one drug (kendall.md) ----------------------------------------


def test_p_no_resistant_cell_check_value():
    """b = 1, d = 0.5, u n = 1e-4, M = 1e4: P(no resistant cell) = 0.2500 (tolerance 5e-5)."""
    assert_printed(p_no_resistant_cell(1e4, 1.0, 0.5, 1e-4), "0.2500")


@pytest.mark.parametrize(
    ("b", "d", "printed"),
    [(0.14, 0.13, "0.9417"), (1.0, 0.5, "0.7500"), (1.0, 0.0, "0.6321")],
)
def test_p_resistant_present_check_values(b, d, printed):
    """M = 1e9, u = 1e-9, n = 1; tolerance 5e-5 (4 printed decimals)."""
    assert_printed(p_resistant_present(1e9, b, d, 1e-9), printed)
    assert p_resistant_present(1e9, b, d, 1e-9) == pytest.approx(
        1.0 - p_no_resistant_cell(1e9, b, d, 1e-9), abs=1e-15
    )


def test_no_death_reduces_to_exp_minus_m_u_n():
    """d = 0: ln(s)/(1 - s) -> -1, so P(no resistant cell) = exp(-M u n), exactly."""
    assert p_no_resistant_cell(1e9, 2.0, 0.0, 1e-9) == math.exp(-1.0)
    # and the limit is continuous from d > 0
    assert p_no_resistant_cell(1e9, 2.0, 1e-12, 1e-9) == pytest.approx(math.exp(-1.0), rel=1e-11)


def test_expected_resistant_cells_check_value():
    """b = 1, d = 0.5, u n = 1e-4, M = 1e4: M n mu = 17.03 (tolerance 0.005)."""
    assert_printed(expected_resistant_cells(1e4, 1.0, 0.5, 1e-4), "17.03")


def test_expected_resistant_cells_is_zero_without_growth():
    """M s <= 1: no deterministic growth phase, so the clipped approximation gives 0."""
    assert expected_resistant_cells(1.0, 1.0, 0.5, 1e-3) == 0.0


def test_p_no_surviving_resistant_lineage():
    """exp(-M u n), independent of b and d: M u n = 1 gives exp(-1) = 0.3679."""
    assert_printed(p_no_surviving_resistant_lineage(1e9, 1e-9), "0.3679")
    assert p_no_surviving_resistant_lineage(1e4, 0.0) == 1.0


def test_surviving_lineage_is_rarer_than_any_resistant_cell():
    """A surviving lineage implies a resistant cell, so P(none surviving) >= P(no cell)."""
    for b, d in [(0.14, 0.13), (1.0, 0.5), (1.0, 0.0)]:
        assert p_no_surviving_resistant_lineage(1e9, 1e-9) >= p_no_resistant_cell(1e9, b, d, 1e-9)


def test_small_probability_keeps_relative_precision():
    """M u n = 1e-12 (M = 1, d = 0): P(present) = 1 - exp(-1e-12) ~ 1e-12 - 5e-25.

    A naive ``1 - exp(x)`` has relative error ~1e-4 here; ``expm1`` keeps ~1e-16.
    """
    value = p_resistant_present(1.0, 1.0, 0.0, 1e-12)
    assert value == pytest.approx(1e-12 - 0.5e-24, rel=1e-14)


def test_small_death_rate_keeps_precision():
    """d/b = x = 1e-10: ln(s)/(1 - s) = ln(1 - x)/x = -(1 + x/2 + x^2/3 + ...).

    ``log(1 - x)`` would lose ~6 digits (1 - x is rounded to 1e-16 absolute); ``log1p``
    keeps them.  With M u n = 30 the exponent is -30 (1 + 5e-11); tolerance rel 1e-13.
    """
    x = 1e-10
    exact = math.exp(-30.0 * (1.0 + x / 2 + x * x / 3))
    assert p_no_resistant_cell(3e4, 1.0, x, 1e-3) == pytest.approx(exact, rel=1e-13)


# --- Bozic et al. 2013 ---------------------------------------------------------------------


def test_bozic_dual_therapy_with_cross_resistance_check_values():
    """M = 1e9, n12 = 1: p_erad = 26.3% and factors 0.3679, 0.7165, 0.99868, 0.999992.

    Tolerances: half a unit in the last printed digit (5e-4, 5e-5, 5e-5, 5e-6, 5e-7).
    """
    result = bozic_eradication(1e9, n12=1, **BOZIC)
    assert_printed(result.p_eradication, "0.263")
    assert_printed(result.p1_up, "0.3679")
    assert_printed(result.p1_down, "0.7165")
    assert_printed(result.p2_up, "0.99868")
    assert_printed(result.p2_down, "0.999992")


def test_bozic_dual_therapy_without_cross_resistance_check_values():
    """M = 1e9, n12 = 0: p_erad = 99.9% (tolerance 5e-4) and 0.99870 (tolerance 5e-6)."""
    result = bozic_eradication(1e9, n12=0, **BOZIC)
    assert_printed(result.p_eradication, "0.999")
    assert_printed(result.p_eradication, "0.99870")
    assert result.p1_up == 1.0
    assert result.p1_down == 1.0


def test_bozic_product_of_factors():
    result = bozic_eradication(3e8, n12=2, **BOZIC)
    product = result.p1_up * result.p1_down * result.p2_up * result.p2_down
    assert result.p_eradication == pytest.approx(product, rel=1e-14)


def test_bozic_default_b_treated_is_b():
    assert bozic_eradication(1e9, n12=1, **BOZIC) == bozic_eradication(
        1e9, n12=1, b_treated=0.14, **BOZIC
    )


def test_bozic_birth_under_treatment_enters_s_treated():
    """Only s' = 1 - d'/b' matters: b' = 0.07, d' = 0.085 gives the same s' as 0.14, 0.17."""
    a = bozic_eradication(1e9, n12=1, **BOZIC)
    b = bozic_eradication(1e9, n12=1, **{**BOZIC, "d_treated": 0.085}, b_treated=0.07)
    assert b.p_eradication == pytest.approx(a.p_eradication, rel=1e-12)


@pytest.mark.parametrize(
    ("M", "n", "b", "d"), [(1e9, 50, 0.14, 0.13), (1e4, 1e5, 1.0, 0.5), (1e6, 3, 1.0, 0.0)]
)
def test_bozic_monotherapy_reduces_to_one_drug_formulas(M, n, b, d):
    """n1 = n2 = 0, n12 = n: two-step factors are 1; the rest are the one-drug formulas."""
    u = 1e-9
    result = bozic_eradication(M, b=b, d=d, d_treated=1.5 * b, u=u, n1=0, n2=0, n12=n)
    s, s_t = 1 - d / b, 1 - 1.5
    assert result.p2_up == 1.0
    assert result.p2_down == 1.0
    assert result.p1_up == pytest.approx(p_no_surviving_resistant_lineage(M, u * n), rel=1e-14)
    # p1_down: escape during therapy, exp(-M u n s_R/|s'|) (kendall.md "Escape during therapy")
    assert result.p1_down == pytest.approx(math.exp(-M * u * n * s / abs(s_t)), rel=1e-14)
    assert result.p_resistant_present == pytest.approx(
        p_resistant_present(M, b, d, u * n), rel=1e-14
    )
    assert result.expected_resistant_cells == pytest.approx(
        expected_resistant_cells(M, b, d, u * n), rel=1e-14
    )


def test_bozic_monotherapy_fails_at_detectable_size():
    """n = 50 at M = 1e9: monotherapy essentially never eradicates (Bozic et al. Figure 3)."""
    result = bozic_eradication(1e9, b=0.14, d=0.13, d_treated=0.17, u=1e-9, n1=0, n2=0, n12=50)
    assert result.p_eradication < 1e-20


def test_bozic_resistant_cells_at_treatment_start():
    """Type 11 (resistant to both drugs) at M = 1e9, Bozic defaults; no published values.

    Checked against the closed forms written out independently here (Bozic et al. p1, p2
    and X with 2 n1 n2 + n12 (n1 + n2) two-step paths).  n12 = 1: the one-step terms
    dominate, p_res = 1 - p1 p2 = 0.9419 (p1 alone gives 0.9417) and X = 253.2 + 0.16.
    n12 = 0: two-step only, 1 - p2 = 0.0036 and X = M n1 n2 mu^2 = 0.16.
    """
    s = 1 / 14
    growth = math.log(1e9 * s)
    log_s_ratio = math.log(s) / (1 - s)
    mu = 1e-9 / s * growth
    log_p2 = 1e9 * 1e-18 * (2 * 2500 + 100) * log_s_ratio * growth / s

    one = bozic_eradication(1e9, n12=1, **BOZIC)
    assert one.p_resistant_present == pytest.approx(-math.expm1(log_s_ratio + log_p2), rel=1e-12)
    assert one.expected_resistant_cells == pytest.approx(
        1e9 * (mu + 0.5 * (2 * 2500 + 100) * mu * mu), rel=1e-12
    )

    zero = bozic_eradication(1e9, n12=0, **BOZIC)
    assert zero.p_resistant_present == pytest.approx(
        -math.expm1(1e-9 * 5000 * log_s_ratio * growth / s), rel=1e-12
    )
    assert zero.expected_resistant_cells == pytest.approx(1e9 * 2500 * mu * mu, rel=1e-12)


def test_bozic_json_shape():
    data = bozic_eradication(1e9, n12=1, **BOZIC).to_json_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {
        "p_eradication",
        "factors",
        "p_resistant_present",
        "expected_resistant_cells",
    }
    assert set(data["factors"]) == {"p1_up", "p1_down", "p2_up", "p2_down"}
    assert_printed(data["p_eradication"], "0.263")
    assert_printed(data["factors"]["p2_up"], "0.99868")


def test_bozic_result_is_frozen():
    result = bozic_eradication(1e9, n12=1, **BOZIC)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.p_eradication = 1.0  # type: ignore[misc]


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fragments"),
    [
        ({"M": 0.5}, ["M", "0.5", ">= 1"]),
        ({"b": 0.0}, ["b must be > 0", "0.0"]),
        ({"b": -1.0}, ["b must be > 0", "-1.0"]),
        ({"d": -0.1}, ["d must be >= 0", "-0.1"]),
        ({"d": 0.14}, ["d must be < b", "s = 1 - d/b > 0", "0.14"]),
        ({"d": 0.2}, ["d must be < b", "0.2"]),
        (
            {"d_treated": 0.14},
            ["d_treated must be > b_treated", "s' = 1 - d_treated/b_treated < 0", "0.14"],
        ),
        ({"d_treated": 0.1}, ["d_treated must be > b_treated", "0.1"]),
        ({"d_treated": -0.1}, ["d_treated must be >= 0", "-0.1"]),
        ({"b_treated": 0.0}, ["b_treated must be > 0", "0.0"]),
        ({"b_treated": 0.2}, ["d_treated must be > b_treated", "0.2"]),
        ({"u": 1.5}, ["u must be in [0, 1]", "1.5"]),
        ({"u": -1e-9}, ["u must be in [0, 1]", "-1e-09"]),
        ({"n1": -1}, ["n1 must be >= 0", "-1"]),
        ({"n12": -2}, ["n12 must be >= 0", "-2"]),
        ({"u": 0.01, "n1": 50, "n2": 50, "n12": 1}, ["u * (n1 + n2 + n12) must be <= 1", "1.01"]),
        ({"M": float("nan")}, ["M must be finite", "nan"]),
        ({"u": "1e-9"}, ["u must be a real number", "'1e-9'"]),
    ],
)
def test_bozic_bad_input_names_parameter_value_and_range(changes, fragments):
    kwargs = {"M": 1e9, **BOZIC, "n12": 1, **changes}
    size = kwargs.pop("M")
    with pytest.raises(SpecError) as info:
        bozic_eradication(size, **kwargs)
    message = str(info.value)
    assert message.startswith("bozic_eradication: ")
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    ("function", "args", "fragments"),
    [
        (p_no_resistant_cell, (1e4, 1.0, 0.5, 1.5), ["u_n must be in [0, 1]", "1.5"]),
        (p_no_resistant_cell, (1e4, 1.0, 0.5, -1e-4), ["u_n", "-0.0001"]),
        (p_no_resistant_cell, (1e4, 1.0, 1.0, 1e-4), ["d must be < b", "1.0"]),
        (p_no_resistant_cell, (0.0, 1.0, 0.5, 1e-4), ["M must be >= 1", "0.0"]),
        (p_resistant_present, (1e4, 0.0, 0.0, 1e-4), ["b must be > 0", "0.0"]),
        (p_resistant_present, (1e4, 1.0, -0.5, 1e-4), ["d must be >= 0", "-0.5"]),
        (expected_resistant_cells, (1e4, 1.0, 2.0, 1e-4), ["d must be < b", "2.0"]),
        (p_no_surviving_resistant_lineage, (1e4, 2.0), ["u_n must be in [0, 1]", "2.0"]),
        (p_no_surviving_resistant_lineage, (-5.0, 1e-4), ["M must be >= 1", "-5.0"]),
    ],
)
def test_one_drug_bad_input_names_parameter_value_and_range(function, args, fragments):
    with pytest.raises(SpecError) as info:
        function(*args)
    message = str(info.value)
    assert message.startswith(f"{function.__name__}: ")
    for fragment in fragments:
        assert fragment in message


def test_docstring_examples_run():
    result = doctest.testmod(resistance, raise_on_error=False)
    assert result.attempted > 0
    assert result.failed == 0
