"""Tests for cllsim.navigate.scores: CLL-IPI and IPS-E points, groups, outcomes and errors.

Published outcomes: CLL-IPI working group, Lancet Oncol 2016;17:779,
doi:10.1016/S1470-2045(16)30029-8; Condoluci et al., Blood 2020;135:1859, PMID 32267500
(copied in reference/cll.md, "Prognostic scores").  Table values are compared exactly: they
are stored, not computed.
"""

from __future__ import annotations

import dataclasses
import doctest
import json

import pytest

from cllsim.errors import SpecError
from cllsim.navigate import scores
from cllsim.navigate.scores import CLL_IPI_STAGES, cll_ipi, ips_e

# A CLL-IPI patient with 0 points; tests change one input at a time.
BASE = {
    "tp53": "normal",
    "ighv": "mutated",
    "b2m_mg_per_l": 2.0,
    "stage": "binet-a",
    "age_years": 50.0,
}


def ipi(**changes):
    return cll_ipi(**{**BASE, **changes})


# --- CLL-IPI: contributions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "name", "points"),
    [
        ("tp53", "aberrant", "tp53", 4),
        ("ighv", "unmutated", "ighv", 2),
        ("b2m_mg_per_l", 3.6, "b2m", 2),
        ("stage", "binet-b", "stage", 1),
        ("age_years", 66.0, "age", 1),
    ],
)
def test_cll_ipi_each_input_contributes_its_points(field, value, name, points):
    score = ipi(**{field: value})
    assert score.points == points
    expected = {"tp53": 0, "ighv": 0, "b2m": 0, "stage": 0, "age": 0} | {name: points}
    assert dict(score.contributions) == expected


def test_cll_ipi_baseline_is_zero_points():
    assert ipi().points == 0


@pytest.mark.parametrize("stage", CLL_IPI_STAGES)
def test_cll_ipi_stage_points(stage):
    """Binet B-C and Rai I-IV score 1; Binet A and Rai 0 score 0."""
    expected = 0 if stage in ("binet-a", "rai-0") else 1
    assert ipi(stage=stage).points == expected


def test_cll_ipi_b2m_threshold_is_strict():
    """beta2M exactly 3.5 mg/L is not > 3.5: 0 points; just above: 2."""
    assert ipi(b2m_mg_per_l=3.5).points == 0
    assert ipi(b2m_mg_per_l=3.5000001).points == 2


def test_cll_ipi_age_threshold_is_strict():
    """Age exactly 65 years is not > 65: 0 points; just above: 1."""
    assert ipi(age_years=65).points == 0
    assert ipi(age_years=65.01).points == 1


def test_cll_ipi_maximum_is_ten():
    score = cll_ipi(
        tp53="aberrant", ighv="unmutated", b2m_mg_per_l=5.0, stage="rai-4", age_years=80
    )
    assert (score.points, score.group) == (10, "very high")


# --- CLL-IPI: group boundaries and published outcomes -------------------------------------

# (inputs changed from BASE, points, group, 5-year OS, 95% CI) at each side of each boundary.
IPI_BOUNDARIES = [
    ({}, 0, "low", 0.932, (0.905, 0.960)),
    ({"age_years": 70}, 1, "low", 0.932, (0.905, 0.960)),
    ({"ighv": "unmutated"}, 2, "intermediate", 0.793, (0.755, 0.832)),
    ({"ighv": "unmutated", "age_years": 70}, 3, "intermediate", 0.793, (0.755, 0.832)),
    ({"tp53": "aberrant"}, 4, "high", 0.633, (0.579, 0.688)),
    ({"tp53": "aberrant", "ighv": "unmutated"}, 6, "high", 0.633, (0.579, 0.688)),
    (
        {"tp53": "aberrant", "ighv": "unmutated", "stage": "rai-1"},
        7,
        "very high",
        0.233,
        (0.125, 0.341),
    ),
]


@pytest.mark.parametrize(("changes", "points", "group", "os_5y", "ci"), IPI_BOUNDARIES)
def test_cll_ipi_group_boundaries_and_outcomes(changes, points, group, os_5y, ci):
    score = ipi(**changes)
    assert score.points == points
    assert score.group == group
    assert score.os_5y == os_5y
    assert score.os_5y_ci95 == ci


def test_cll_ipi_json_shape():
    score = cll_ipi(
        tp53="aberrant", ighv="unmutated", b2m_mg_per_l=4.0, stage="binet-a", age_years=60
    )
    data = score.to_json_dict()
    assert json.loads(json.dumps(data)) == data
    assert {k: data[k] for k in ("score", "points", "group")} == {
        "score": "cll-ipi",
        "points": 8,
        "group": "very high",
    }
    assert data["outcome"]["os_5y"] == 0.233
    assert data["outcome"]["os_5y_ci95"] == [0.125, 0.341]
    assert set(data) == {"score", "points", "group", "outcome"}


def test_cll_ipi_result_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        ipi().points = 3  # type: ignore[misc]


# --- CLL-IPI: errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "fragments"),
    [
        ("age_years", -1.0, ["age_years", "-1.0", ">= 0", "years"]),
        ("b2m_mg_per_l", -0.1, ["b2m_mg_per_l", "-0.1", ">= 0", "mg/L"]),
        ("b2m_mg_per_l", float("nan"), ["b2m_mg_per_l", "nan"]),
        ("age_years", "old", ["age_years", "'old'"]),
        ("age_years", True, ["age_years", "True"]),
        ("stage", "binet-d", ["stage", "'binet-d'", "'binet-a'", "'rai-4'"]),
        ("stage", "Binet-A", ["stage", "'Binet-A'", "'binet-a'"]),
        ("ighv", "partial", ["ighv", "'partial'", "'mutated'", "'unmutated'"]),
        ("tp53", "deleted", ["tp53", "'deleted'", "'normal'", "'aberrant'"]),
    ],
)
def test_cll_ipi_bad_input_names_field_value_and_allowed(field, value, fragments):
    with pytest.raises(SpecError) as info:
        ipi(**{field: value})
    message = str(info.value)
    assert message.startswith("CLL-IPI: ")
    for fragment in fragments:
        assert fragment in message


def test_cll_ipi_error_message_text():
    with pytest.raises(
        SpecError,
        match=r"^CLL-IPI: age_years must be a finite number >= 0 "
        r"\(years\), got -3$",
    ):
        ipi(age_years=-3)


def test_cll_ipi_unknown_keyword_raises():
    with pytest.raises(TypeError):
        cll_ipi(**BASE, del17p=True)


# --- IPS-E ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("ighv", "unmutated"), ("alc_1e9_per_l", 15.1), ("palpable_nodes", True)],
)
def test_ips_e_each_input_contributes_one_point(field, value):
    inputs = {"ighv": "mutated", "alc_1e9_per_l": 5.0, "palpable_nodes": False, field: value}
    score = ips_e(**inputs)
    assert score.points == 1
    name = {"ighv": "ighv", "alc_1e9_per_l": "alc", "palpable_nodes": "palpable_nodes"}[field]
    assert dict(score.contributions)[name] == 1


def test_ips_e_alc_threshold_is_strict():
    """ALC exactly 15e9/L is not > 15e9/L: 0 points."""
    assert ips_e(ighv="mutated", alc_1e9_per_l=15.0, palpable_nodes="no").points == 0
    assert ips_e(ighv="mutated", alc_1e9_per_l=15.001, palpable_nodes="no").points == 1


# (ighv, alc, nodes, points, group, 5-year risk of first treatment, rate per 100 person-years)
IPSE_GROUPS = [
    ("mutated", 5.0, "no", 0, "low", 0.084, 2.0),
    ("unmutated", 5.0, "no", 1, "intermediate", 0.284, 6.1),
    ("unmutated", 20.0, "no", 2, "high", 0.612, 16.1),
    ("unmutated", 20.0, "yes", 3, "high", 0.612, 16.1),
]


@pytest.mark.parametrize(("ighv", "alc", "nodes", "points", "group", "risk", "rate"), IPSE_GROUPS)
def test_ips_e_groups_and_outcomes(ighv, alc, nodes, points, group, risk, rate):
    score = ips_e(ighv=ighv, alc_1e9_per_l=alc, palpable_nodes=nodes)
    assert (score.points, score.group) == (points, group)
    assert score.treatment_risk_5y == risk
    assert score.treatment_rate_per_100_person_years == rate


def test_ips_e_json_shape():
    data = ips_e(ighv="unmutated", alc_1e9_per_l=3.0, palpable_nodes=True).to_json_dict()
    assert json.loads(json.dumps(data)) == data
    assert data == {
        "score": "ips-e",
        "points": 2,
        "group": "high",
        "outcome": {"treatment_risk_5y": 0.612, "treatment_rate_per_100_person_years": 16.1},
    }


@pytest.mark.parametrize(
    ("field", "value", "fragments"),
    [
        ("alc_1e9_per_l", -2.0, ["alc_1e9_per_l", "-2.0", ">= 0", "1e9 cells/L"]),
        ("alc_1e9_per_l", float("inf"), ["alc_1e9_per_l", "inf"]),
        ("ighv", "unknown", ["ighv", "'unknown'", "'mutated'", "'unmutated'"]),
        ("palpable_nodes", "maybe", ["palpable_nodes", "'maybe'", "'yes'", "'no'"]),
        ("palpable_nodes", 1, ["palpable_nodes", "1", "'yes'", "'no'"]),
    ],
)
def test_ips_e_bad_input_names_field_value_and_allowed(field, value, fragments):
    inputs = {"ighv": "mutated", "alc_1e9_per_l": 5.0, "palpable_nodes": "no", field: value}
    with pytest.raises(SpecError) as info:
        ips_e(**inputs)
    message = str(info.value)
    assert message.startswith("IPS-E: ")
    for fragment in fragments:
        assert fragment in message


def test_docstring_examples_run():
    result = doctest.testmod(scores, raise_on_error=False)
    assert result.attempted > 0
    assert result.failed == 0
