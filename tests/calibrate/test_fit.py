"""calibrate(): recovers known parameters of a synthetic simulator, with honest uncertainty."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cllsim.calibrate import (
    FitParameter,
    TargetSet,
    calibrate,
    load_targets,
    reevaluate_record,
)
from cllsim.errors import InputFileError, SpecError

TRUE = {"kill": 2.0, "regrowth": 0.01}


def _sim(values):
    """Two arms' uMRD and PFS as smooth functions of two positive parameters."""
    k, g = values["kill"], values["regrowth"]

    def logistic(x):
        return 1 / (1 + math.exp(-x))

    return {
        "a/umrd_blood_eot3": (logistic(2.0 * math.log(k)), 0.0),
        "b/umrd_blood_eot3": (logistic(2.0 * math.log(k) - 1.5), 0.0),
        "a/pfs_24": (math.exp(-300 * g / k), 0.0),
        "b/pfs_24": (math.exp(-600 * g / k), 0.0),
    }


def _targets(values) -> TargetSet:
    sim = _sim(values)
    return TargetSet(
        name="synthetic",
        trial="synthetic",
        source="test",
        targets=tuple(
            {
                "arm": key.split("/")[0],
                "endpoint": key.split("/")[1],
                "value": round(v, 6),
                "n": 400,
            }
            for key, (v, _) in sim.items()
        ),
    )


def test_recovers_known_parameters_and_zero_chi2():
    """From targets made by known parameters, the fit lands within 5% of them (the targets
    carry no noise, so the optimum is exact; 5% is the optimiser's resolution at 30 calls)."""
    params = [FitParameter("kill", 0.5, 8.0), FitParameter("regrowth", 0.002, 0.05)]
    res = calibrate(_sim, _targets(TRUE), params, n_calls=30, n_initial=10, seed=3)
    for name, true in TRUE.items():
        assert res.values[name] == pytest.approx(true, rel=0.05), (name, res.values)
    assert res.chi2 < 0.5
    assert res.dof == 2
    assert (res.evaluations["stage"] == "jacobian").sum() == 4  # two per parameter
    assert set(res.fit["target"]) == set(_sim(TRUE))


def test_laplace_uncertainty_matches_the_analytic_jacobian():
    """SE of ln(kill) from the fit equals (J^T W J)^-1 computed from the exact derivatives at
    the true point, within 10% (finite differences and the optimum's offset)."""
    params = [FitParameter("kill", 0.5, 8.0), FitParameter("regrowth", 0.002, 0.05)]
    tg = _targets(TRUE)
    res = calibrate(_sim, tg, params, n_calls=30, n_initial=10, seed=3, jacobian_step=0.01)
    eps = 1e-6
    u0 = np.log([TRUE["kill"], TRUE["regrowth"]])
    jac = np.zeros((4, 2))
    for j in range(2):
        up, dn = u0.copy(), u0.copy()
        up[j] += eps
        dn[j] -= eps
        s_up = _sim({"kill": math.exp(up[0]), "regrowth": math.exp(up[1])})
        s_dn = _sim({"kill": math.exp(dn[0]), "regrowth": math.exp(dn[1])})
        jac[:, j] = [(s_up[t.key][0] - s_dn[t.key][0]) / (2 * eps) for t in tg.targets]
    w = np.array([1 / t.se**2 for t in tg.targets])
    cov = np.linalg.inv(jac.T @ (jac * w[:, None]))
    assert res.se_u["kill"] == pytest.approx(math.sqrt(cov[0, 0]), rel=0.10)
    assert res.se_u["regrowth"] == pytest.approx(math.sqrt(cov[1, 1]), rel=0.10)
    lo, hi = res.ci95["kill"]
    assert lo < res.values["kill"] < hi


def test_a_parameter_the_targets_do_not_see_is_reported_unidentified():
    params = [FitParameter("kill", 0.5, 8.0), FitParameter("unused", 1.0, 2.0)]

    def sim(values):
        return _sim({"kill": values["kill"], "regrowth": TRUE["regrowth"]})

    res = calibrate(sim, _targets(TRUE), params, n_calls=12, n_initial=6, seed=1)
    assert res.options["identifiable"] is False
    assert math.isinf(res.se_u["unused"])
    assert res.ci95["unused"] == (1.0, 2.0)


def test_bad_parameter_ranges_are_refused():
    with pytest.raises(SpecError, match="low < high"):
        FitParameter("x", 2.0, 1.0)
    with pytest.raises(SpecError, match="log-scale"):
        FitParameter("x", 0.0, 1.0)


def test_builtin_cll14_targets_are_the_reference_calibration_targets():
    """The six CLL14 targets of shared/reference/cll.md, with SEs from the CI or n = 216."""
    ts = load_targets("cll14")
    got = {t.key: t.value for t in ts.targets}
    assert got == {
        "ven-obi/pfs_24": 0.882,
        "clb-obi/pfs_24": 0.641,
        "ven-obi/umrd_blood_eot3": 0.76,
        "clb-obi/umrd_blood_eot3": 0.35,
        "ven-obi/umrd_marrow_eot3": 0.57,
        "clb-obi/umrd_marrow_eot3": 0.17,
    }
    se = {t.key: t.se for t in ts.targets}
    assert se["ven-obi/pfs_24"] == pytest.approx((0.926 - 0.837) / 3.92, rel=1e-3)
    assert se["clb-obi/umrd_blood_eot3"] == pytest.approx(math.sqrt(0.35 * 0.65 / 216))


def test_bad_target_files_name_the_field(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text(
        "name: x\ntrial: cll14\nsource: s\ntargets:\n"
        "  - {arm: a, endpoint: os_24, value: 0.5, n: 10}\n"
    )
    with pytest.raises(InputFileError, match=r"t\.yaml: targets\.0\.endpoint.*os_24"):
        load_targets(f)
    f.write_text(
        "name: x\ntrial: cll14\nsource: s\ntargets:\n"
        "  - {arm: a, endpoint: pfs_24, value: 1.5, n: 10}\n"
    )
    with pytest.raises(InputFileError, match=r"targets\.0\.value"):
        load_targets(f)


def test_reevaluated_record_recomputes_every_derived_figure_and_keeps_the_fit():
    """A record fitted at the truth, re-evaluated with simulated values shifted by 0.01 (as a
    change of numerics would): simulated values, residuals and chi2 are those of the new
    values (chi2 by hand), the fitted values stay, and the previous figures are kept."""
    targets = _targets(TRUE)
    res = calibrate(
        _sim,
        targets,
        [FitParameter("kill", 0.5, 8.0, log=True), FitParameter("regrowth", 0.001, 0.1, log=True)],
        n_calls=12,
        n_initial=6,
        seed=1,
    )
    record = json.loads(json.dumps(res.to_dict(), default=float))
    shifted = {k: (v + 0.01, 0.02) for k, (v, _) in _sim(TRUE).items()}
    new = reevaluate_record(record, targets, shifted, date="2026-11-24", reason="test")
    chi2 = sum((shifted[t.key][0] - t.value) ** 2 / (t.se**2 + 0.02**2) for t in targets.targets)
    assert new["fit_quality"]["chi2"] == pytest.approx(chi2, rel=1e-12)
    assert new["fit_quality"]["dof"] == record["fit_quality"]["dof"]
    for t, row in zip(targets.targets, new["targets"], strict=True):
        assert row["simulated"] == shifted[t.key][0] and row["simulated_se"] == 0.02
        z = (shifted[t.key][0] - t.value) / math.sqrt(t.se**2 + 0.02**2)
        assert row["residual_se_units"] == pytest.approx(z, rel=1e-12)
    assert new["parameters"] == record["parameters"]
    assert new["re_evaluated"]["previous"] == {
        "fit_quality": record["fit_quality"],
        "targets": record["targets"],
    }
