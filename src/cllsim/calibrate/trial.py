"""Calibration of a virtual trial's population: the simulator behind ``cllsim calibrate``.

For a parameter set, the trial is run (same seed every call: common random numbers) with
the population's named values replaced, over just the follow-up the targets need, and the
targets are read from its ``summary.json``: Kaplan-Meier PFS at a month (its SE from the
95% CI) and uMRD rates (binomial SE over the patients assessed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cllsim.calibrate.fit import Simulator
from cllsim.calibrate.targets import (
    Target,
    TargetSet,
    binomial_se,
    load_targets,
    se_from_ci95,
)
from cllsim.errors import SpecError
from cllsim.trials.endpoints import DAYS_PER_MONTH
from cllsim.trials.population import PopulationSpec, with_overrides
from cllsim.trials.run import run_trial
from cllsim.trials.spec import TrialSpec, load_trial

__all__ = [
    "population_overrides",
    "read_outcome",
    "read_outcomes",
    "record_simulator",
    "trial_simulator",
]

# PFS at month m needs follow-up to m plus one assessment interval to see progressions
# that happened just before m (assessments are at most 6 months apart in the built-ins)
_MARGIN_MONTHS = 6.0


def population_overrides(pop: PopulationSpec, values: Mapping[str, float]) -> PopulationSpec:
    """``pop`` with each named value set.

    A name that extends a population parameter (``patient.kinetics.birth_lymph_node.median``)
    sets that field of its distribution; any other name (``pharmacodynamics.venetoclax_ec50``)
    becomes a fixed value for every patient.
    """
    out: dict[str, Any] = {}
    for name, v in values.items():
        if any(name.startswith(p + ".") for p in pop.parameters):
            out[name] = float(v)
        else:
            out[name] = {
                "dist": "fixed",
                "value": float(v),
                "tag": "C",
                "source": "calibrated (cllsim calibrate)",
            }
    return with_overrides(pop, out)


def trial_simulator(
    trial: TrialSpec,
    targets: TargetSet,
    *,
    n_patients: int,
    seed: int,
    workers: int = 1,
    dask: str | None = None,
) -> Simulator:
    """The simulator of :func:`cllsim.calibrate.calibrate` for ``targets`` on ``trial``.

    Raises
    ------
    SpecError
        A target names an arm the trial does not have.
    """
    unknown = sorted({t.arm for t in targets.targets} - set(trial.arms))
    if unknown:
        raise SpecError(
            f"targets {targets.name!r} name arms {unknown} that trial {trial.name!r} does not "
            f"have ({', '.join(trial.arms)})"
        )
    years = (targets.horizon_months + _MARGIN_MONTHS) * DAYS_PER_MONTH / 365.25
    short = trial.model_copy(
        update={
            "follow_up": trial.follow_up.model_copy(
                update={"years": min(years, trial.follow_up.years)}
            )
        }
    )
    months = sorted(
        {int(t.endpoint.split("_")[1]) for t in targets.targets if t.endpoint.startswith("pfs_")}
    )
    if months:
        short = short.model_copy(
            update={"endpoints": short.endpoints.model_copy(update={"pfs_months": tuple(months)})}
        )

    def simulate(values: Mapping[str, float]) -> dict[str, tuple[float, float]]:
        pop = population_overrides(short.population, values)
        res = run_trial(
            short.model_copy(update={"population": pop}),
            n_patients=n_patients,
            workers=workers,
            rng=seed,
            dask=dask,
        )
        # a PFS without its interval (lifelines gave none) counts with the published
        # uncertainty alone in chi2
        return {
            k: (float(est), 0.0 if se is None else se)  # type: ignore[arg-type]
            for k, (est, se) in read_outcomes(res.summary, targets).items()
        }

    return simulate


def record_simulator(record: Mapping[str, Any], *, workers: int = 1) -> Simulator:
    """The simulator that a calibration record (``calibration.json``) was fitted with: its
    trial, targets, patients per call and seed."""
    return trial_simulator(
        load_trial(record["trial"]),
        load_targets(record["target_set"]),
        n_patients=record["patients_per_call"],
        seed=record["seed"],
        workers=workers,
    )


def read_outcomes(
    summary: Mapping[str, Any], targets: TargetSet
) -> dict[str, tuple[float | None, float | None]]:
    """Each target's simulated value and its standard error, read from a trial's
    ``summary.json``: ``{Target.key: (estimate, se)}`` (:func:`read_outcome` per target).

    Raises
    ------
    SpecError
        The summary cannot show a target (see :func:`read_outcome`).
    """
    return {t.key: read_outcome(summary, t) for t in targets.targets}


def read_outcome(summary: Mapping[str, Any], t: Target) -> tuple[float | None, float | None]:
    """One target's simulated value and its standard error from a trial's ``summary.json``.

    PFS at a month: Kaplan-Meier estimate, SE from its 95% CI.  uMRD rate: over every
    randomised patient of the arm (intention to treat, as CLL14), binomial SE.  Median PFS:
    the estimate (None if not reached), no SE.  Hazard ratio: the Cox estimate against the
    target's reference arm (None if lifelines could not fit it), SE of its log from the 95%
    CI.  An SE is None where the summary has no interval.

    Raises
    ------
    SpecError
        The trial has no such arm, no patients in it, no PFS reported at the month the target
        needs (``endpoints.pfs_months``), a follow-up short of it, or no comparison of the
        target's arms.
    """
    where = f"trial {summary['trial']!r}, target {t.key}"
    if t.arm not in summary["arms"]:
        raise SpecError(f"{where}: the trial has no arm {t.arm!r}")
    arm = summary["arms"][t.arm]
    if int(arm["n"]) == 0:
        raise SpecError(f"{where}: arm {t.arm!r} has no patients")
    needs = [t.endpoint.split("_")[1]] if t.endpoint.startswith("pfs_") else []
    if t.follow_up_months is not None:
        needs.append(f"{t.follow_up_months:g}")
    for m in needs:
        if m not in arm["pfs"]:
            raise SpecError(
                f"{where}: the trial reports PFS at months {', '.join(arm['pfs'])} only "
                f"(endpoints.pfs_months), not at month {m}"
            )
        if arm["pfs"][m] is None:
            raise SpecError(f"{where}: the trial's follow-up does not reach month {m}")
    if t.endpoint.startswith("pfs_"):
        m = needs[0]
        return float(arm["pfs"][m]), se_from_ci95(*arm["pfs_ci95"][m])
    if t.endpoint == "median_pfs_months":
        med = arm["median_pfs_months"]
        return (None if med is None else float(med)), None
    if t.endpoint == "hazard_ratio":
        row = next(
            (
                c
                for c in summary["comparisons"]
                if c["arm"] == t.arm and c["reference"] == t.reference
            ),
            None,
        )
        if row is None:
            raise SpecError(f"{where}: the trial does not compare {t.arm!r} with {t.reference!r}")
        if row["hazard_ratio"] is None:  # lifelines could not fit (e.g. no events)
            return None, None
        return float(row["hazard_ratio"]), se_from_ci95(*row["ci95"], log=True)
    est = float(arm[t.endpoint])
    return est, binomial_se(est, int(arm["n"]))
