"""The ``cllsim`` command line: parse, load specs, call the public function, write results.

Thin by design (STYLE §10): no simulation logic lives here.  Bad input ends with one line
naming the file, the field, the value and what is allowed, and exit code 2; never a
traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from typer.exceptions import TyperException

from cllsim.errors import AlgorithmError, SpecError

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="cllsim",
    help="Simulate CLL and other cancers as cell populations under real therapy schedules.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sbml_app = typer.Typer(
    help="Simulate SBML models of zero- and first-order reactions.", no_args_is_help=True
)
app.add_typer(sbml_app, name="sbml")


def fail(message: str) -> typer.Exit:
    """Print ``message`` as one line on stderr and return the Exit(2) to raise."""
    typer.echo(f"cllsim: error: {message}", err=True)
    return typer.Exit(code=2)


@app.callback()
def _root() -> None:
    """cllsim command line."""


@sbml_app.command("run")
def sbml_run(
    model: Annotated[Path, typer.Argument(help="SBML file (Level 2 or 3).")],
    settings: Annotated[Path, typer.Option("--settings", help="The suite's NNNNN-settings.txt.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for results.csv.")],
    runs: Annotated[int, typer.Option("--runs", help="Independent runs (>= 1).")] = 10_000,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (>= 0).")] = None,
    check: Annotated[
        Path | None,
        typer.Option("--check", help="Expected NNNNN-results.csv: apply the suite's rule."),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker threads (results do not depend on it).")
    ] = 1,
) -> None:
    """Simulate MODEL --runs times; write OUT/results.csv (time, X-mean..., X-sd...)."""
    from cllsim import sbml  # imported here so that `cllsim --help` stays fast

    if runs < 1:
        raise fail(f"--runs must be a whole number >= 1, got {runs}")
    if seed is not None and seed < 0:
        raise fail(f"--seed must be a whole number >= 0, got {seed}")
    if workers < 1:
        raise fail(f"--workers must be a whole number >= 1, got {workers}")
    if check is not None and runs < 2:
        raise fail(f"--check needs --runs >= 2 to estimate a standard deviation, got {runs}")
    started = time.perf_counter()
    spec = sbml.read_sbml(model)
    suite = sbml.parse_settings(settings)
    expected = sbml.read_results(check) if check is not None else None
    result = sbml.simulate_sbml(spec, suite, n_runs=runs, rng=seed, workers=workers)
    report = None
    if expected is not None:
        report = sbml.check_results(
            result.table,
            expected,
            n_runs=runs,
            columns=suite.output or None,
            mean_range=suite.mean_range,
            sd_range=suite.sd_range,
            source=str(check),
        )
    seconds = time.perf_counter() - started
    summary = {**result.provenance, "seed_argument": seed, "seconds": round(seconds, 3)}
    if report is not None:
        summary["check"] = {
            "expected": str(check),
            "passed": report.passed,
            "failures": report.failures(),
        }
    sbml.write_files(
        out,
        {
            "results.csv": sbml.to_csv_text(result.table),
            "summary.json": json.dumps(summary, indent=2) + "\n",
        },
    )
    entropy = result.provenance["seed"]["entropy"]
    typer.echo(
        f"cllsim: wrote {out / 'results.csv'}: {runs} runs of {spec.id or model.name}, "
        f"{len(suite.variables)} variable(s) at {suite.steps + 1} times, seed {entropy}, "
        f"{seconds:.2f} s"
    )
    if report is not None:
        for line in sbml.describe_check(report):
            typer.echo(line)
        if not report.passed:
            raise typer.Exit(code=1)


@app.command("run")
def run_command(
    scenario: Annotated[str, typer.Argument(help="Scenario file (YAML) or built-in name.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the four result files.")],
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (>= 0).")] = None,
) -> None:
    """Simulate one patient; write counts, observables, summary and report to OUT."""
    from cllsim.model import load_scenario
    from cllsim.runs import run_patient, write_patient_run

    if seed is not None and seed < 0:
        raise fail(f"--seed must be a whole number >= 0, got {seed}")
    spec = load_scenario(scenario)
    started = time.perf_counter()
    result = run_patient(spec, rng=seed)
    write_patient_run(result, out)
    s = result.summary
    prog = (
        f"progression on day {s['progression_day']:.0f} ({s['progression_reason']}; "
        f"dominant {s['dominant_genotype_at_progression']})"
        if s["progression_day"] is not None
        else "no progression"
    )
    typer.echo(
        f"cllsim: {spec.name}, seed {s['seed']}: {prog}; "
        f"{time.perf_counter() - started:.1f} s; wrote {out}/report.html"
    )


@app.command("trial")
def trial_command(
    trial: Annotated[
        str | None,
        typer.Argument(help="Trial file (YAML) or built-in name; omit with --resume."),
    ] = None,
    patients: Annotated[int | None, typer.Option("--patients", help="Patients (>= 1).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (>= 0).")] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (results do not depend on it).")
    ] = 1,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the three result files.")
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option("--dask", help="Run on dask.distributed: a scheduler address or 'local'."),
    ] = None,
    resume: Annotated[
        Path | None, typer.Option("--resume", help="Continue the interrupted trial in DIR.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Run a virtual trial; write patients.parquet, summary.json and report.html to OUT."""
    from cllsim.trial_runs import run_trial_to_dir
    from cllsim.trials import load_trial

    if resume is not None and out is not None and Path(out) != Path(resume):
        raise fail(f"--out {out} and --resume {resume} differ; give one folder")
    folder = resume if resume is not None else out
    if folder is None:
        raise fail("--out DIR is required (or --resume DIR)")
    if resume is None and trial is None:
        raise fail("TRIAL is required (a trial file or a built-in name; see `cllsim list`)")
    if resume is None and patients is None:
        raise fail("--patients N is required")
    if patients is not None and patients < 1:
        raise fail(f"--patients must be a whole number >= 1, got {patients}")
    if seed is not None and seed < 0:
        raise fail(f"--seed must be a whole number >= 0, got {seed}")
    if workers < 1:
        raise fail(f"--workers must be a whole number >= 1, got {workers}")
    spec = load_trial(trial) if trial is not None else None
    started = time.perf_counter()
    result = run_trial_to_dir(
        spec,
        out=folder,
        n_patients=patients,
        seed=seed,
        workers=workers,
        dask=dask,
        resume=resume is not None,
        progress=not quiet,
    )
    s = result.summary
    arms = "; ".join(
        f"{a}: no patients" if v["n"] == 0
        else f"{a}: PFS24 not reported" if v["pfs"].get("24") is None
        else f"{a}: PFS24 {v['pfs']['24']:.1%}, uMRD blood {v['umrd_blood_eot3']:.0%}"
        for a, v in s["arms"].items()
    )  # fmt: skip
    typer.echo(
        f"cllsim: trial {s['trial']}, {s['n_patients']} patients, seed {s['seed']}: {arms}; "
        f"{time.perf_counter() - started:.1f} s; wrote {folder}/report.html"
    )


@app.command("calibrate")
def calibrate_command(
    trial: Annotated[str, typer.Argument(help="Trial file (YAML) or built-in name.")],
    fit: Annotated[
        list[str],
        typer.Option(
            "--fit",
            help="NAME=LOW:HIGH (log scale) or NAME=LOW:HIGH:lin; repeat per parameter. NAME "
            "is a population field (patient.kinetics.birth_lymph_node.median) or any scenario "
            "scalar (pharmacodynamics.venetoclax_ec50), then fixed for every patient.",
        ),
    ],
    targets: Annotated[
        str,
        typer.Option(
            "--targets", help="Target file (YAML) or built-in name (`cllsim list` shows them)."
        ),
    ] = "cll14",
    patients: Annotated[int, typer.Option("--patients", help="Patients per call.")] = 240,
    calls: Annotated[int, typer.Option("--calls", help="Simulator calls of the search.")] = 30,
    initial: Annotated[
        int, typer.Option("--initial", help="Space-filling calls before the GP guides.")
    ] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seed of every trial run (>= 0).")] = 0,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    out: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path(
        "out/calibration"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar.")] = False,
) -> None:
    """Fit named population parameters to calibration targets; write calibration.json
    (fitted values, 95% intervals, correlation, chi-square fit quality, per-target fit) and
    evaluations.parquet."""
    from cllsim.calibrate import (
        calibrate,
        load_targets,
        parse_fit_parameter,
        write_calibration,
    )
    from cllsim.calibrate.trial import population_overrides, trial_simulator
    from cllsim.trials import load_trial

    if patients < 2:
        raise fail(f"--patients must be a whole number >= 2, got {patients}")
    if seed < 0:
        raise fail(f"--seed must be a whole number >= 0, got {seed}")
    if workers < 1:
        raise fail(f"--workers must be a whole number >= 1, got {workers}")
    if not fit:
        raise fail("name at least one --fit NAME=LOW:HIGH")
    params = [parse_fit_parameter(f) for f in fit]
    spec, goal = load_trial(trial), load_targets(targets)
    sim = trial_simulator(spec, goal, n_patients=patients, seed=seed, workers=workers)
    # a name that is neither a population field nor a scenario scalar fails here, at once
    population_overrides(spec.population, {p.name: p.low for p in params})
    started = time.perf_counter()
    res = calibrate(
        sim, goal, params, n_calls=calls, n_initial=initial, seed=seed, progress=not quiet
    )
    write_calibration(
        res,
        out,
        meta={
            "trial": spec.name,
            "target_set": goal.name,
            "targets_source": goal.source,
            "patients_per_call": patients,
            "seed": seed,
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    fitted = ", ".join(
        f"{k} = {v:.4g} [{res.ci95[k][0]:.3g}, {res.ci95[k][1]:.3g}]" for k, v in res.values.items()
    )
    typer.echo(
        f"cllsim: calibrated {spec.name} to {goal.name}: {fitted}; chi2 {res.chi2:.2f} on "
        f"{res.dof} df; wrote {out}/calibration.json"
    )


@app.command("list")
def list_command() -> None:
    """Built-in scenarios (use with `cllsim run`), trials (with `cllsim trial`) and published
    outcomes (calibration targets for `cllsim calibrate --targets`, validation sets)."""
    from cllsim.calibrate import builtin_targets, load_targets
    from cllsim.model import builtin_scenarios
    from cllsim.trials import builtin_trials

    for name, description in builtin_scenarios().items():
        typer.echo(f"{name:24s} {description}")
    typer.echo("")
    typer.echo("trials (cllsim trial NAME):")
    for name, description in builtin_trials().items():
        typer.echo(f"{name:24s} {description}")
    typer.echo("")
    typer.echo("published outcomes (cllsim calibrate --targets NAME fits calibration sets only):")
    for name in builtin_targets():
        ts = load_targets(name)
        text = " ".join((ts.description or ts.source).split())
        typer.echo(f"{name:24s} {ts.role}, trial {ts.trial}: {text}")


@app.command("params")
def params_command() -> None:
    """The parameter library: every default with its unit and source."""
    from rich.console import Console
    from rich.table import Table

    from cllsim.model import PARAMETERS
    from cllsim.pkpd import DRUGS

    table = Table(title="cllsim parameter library ([V] checked, [A] assumption)")
    for col in ("name", "value", "unit", "tag", "source"):
        table.add_column(col, overflow="fold")
    for p in PARAMETERS.values():
        table.add_row(p.name, f"{p.value:g}", p.unit, p.tag, p.source)
    console = Console(width=200)
    console.print(table)
    drugs = Table(title="pharmacokinetics (cllsim.pkpd.parameters)")
    for col in ("drug", "parameters", "sources"):
        drugs.add_column(col, overflow="fold")
    for name, drug in DRUGS.items():
        pk = ", ".join(
            f"{k}={v:g}" for k, v in drug.pk.model_dump().items() if isinstance(v, float)
        )
        drugs.add_row(name, pk, "; ".join(drug.sources))
    console.print(drugs)


score_app = typer.Typer(help="Prognostic scores (CLL-IPI, IPS-E).", no_args_is_help=True)
app.add_typer(score_app, name="score")


def _emit_json_or_text(payload: dict, as_json: bool, lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
    else:
        for line in lines:
            typer.echo(line)


@score_app.command("cll-ipi")
def score_cll_ipi(
    tp53: Annotated[str, typer.Option("--tp53", help="normal | aberrant")],
    ighv: Annotated[str, typer.Option("--ighv", help="mutated | unmutated")],
    b2m: Annotated[float, typer.Option("--b2m", help="serum beta2-microglobulin, mg/L")],
    stage: Annotated[str, typer.Option("--stage", help="binet-a..c or rai-0..4")],
    age: Annotated[float, typer.Option("--age", help="years")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """CLL-IPI (Lancet Oncol 2016;17:779): points, risk group, published 5-year OS."""
    from cllsim.navigate import cll_ipi

    r = cll_ipi(tp53=tp53, ighv=ighv, b2m_mg_per_l=b2m, stage=stage, age_years=age)
    payload = r.to_json_dict()
    out = payload["outcome"]
    _emit_json_or_text(
        payload,
        as_json,
        [f"CLL-IPI {r.points} points: {r.group} risk; 5-year OS {out['os_5y']:.1%}"],
    )


@score_app.command("ips-e")
def score_ips_e(
    ighv: Annotated[str, typer.Option("--ighv", help="mutated | unmutated")],
    alc: Annotated[float, typer.Option("--alc", help="absolute lymphocyte count, 1e9/L")],
    palpable_nodes: Annotated[str, typer.Option("--palpable-nodes", help="yes | no")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """IPS-E (Blood 2020;135:1859): risk of first treatment in early asymptomatic CLL."""
    from cllsim.navigate import ips_e

    r = ips_e(ighv=ighv, alc_1e9_per_l=alc, palpable_nodes=palpable_nodes)
    payload = r.to_json_dict()
    risk = payload["outcome"]["treatment_risk_5y"]
    _emit_json_or_text(
        payload,
        as_json,
        [f"IPS-E {r.points} points: {r.group} risk; 5-year risk of treatment {risk:.1%}"],
    )


@app.command("resistance")
def resistance_command(
    size: Annotated[float, typer.Option("--size", help="cells at treatment start (M)")],
    birth: Annotated[float, typer.Option("--birth", help="birth rate b, per day")],
    death: Annotated[float, typer.Option("--death", help="death rate d, per day")],
    death_treated: Annotated[float, typer.Option("--death-treated", help="d' on therapy")],
    mutation_rate: Annotated[
        float, typer.Option("--mutation-rate", help="u per site per division")
    ],
    n1: Annotated[float, typer.Option("--n1", help="sites giving resistance to drug 1 only")],
    n2: Annotated[float, typer.Option("--n2", help="sites giving resistance to drug 2 only")],
    n12: Annotated[float, typer.Option("--n12", help="sites giving resistance to both")],
    birth_treated: Annotated[
        float | None, typer.Option("--birth-treated", help="b' on therapy (default b)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False,
) -> None:
    """Bozic et al. 2013 eradication probability (monotherapy when n1 = n2 = 0)."""
    from cllsim.navigate import bozic_eradication

    r = bozic_eradication(
        size, b=birth, d=death, d_treated=death_treated, b_treated=birth_treated,
        u=mutation_rate, n1=n1, n2=n2, n12=n12,
    )  # fmt: skip
    payload = r.to_json_dict()
    f = payload["factors"]
    _emit_json_or_text(
        payload,
        as_json,
        [
            f"P(eradication) = {payload['p_eradication']:.4g} (factors p1_up {f['p1_up']:.4g}, "
            f"p1_down {f['p1_down']:.4g}, p2_up {f['p2_up']:.6g}, p2_down {f['p2_down']:.6g})",
            f"P(resistant cell present at start) = {payload['p_resistant_present']:.4g}; "
            f"expected resistant cells = {payload['expected_resistant_cells']:.4g}",
        ],
    )


def _patient_budget(seed: int | None, workers: int, simulations: int) -> None:
    if seed is not None and seed < 0:
        raise fail(f"--seed must be a whole number >= 0, got {seed}")
    if workers < 1:
        raise fail(f"--workers must be a whole number >= 1, got {workers}")
    if simulations < 20:
        raise fail(f"--simulations must be a whole number >= 20, got {simulations}")


@app.command("forecast")
def forecast_command(
    patient: Annotated[str, typer.Argument(help="Patient file (YAML) or built-in name.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the result files.")],
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (>= 0).")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 2,
    simulations: Annotated[
        int, typer.Option("--simulations", help="Prior simulations (ABC reference table).")
    ] = 240,
    years: Annotated[float, typer.Option("--years", help="Years after the last visit.")] = 5.0,
) -> None:
    """Infer one patient's parameters from its visits (ABC) and forecast its course."""
    from cllsim.navigate import ForecastSettings, load_patient
    from cllsim.navigator_runs import run_forecast, write_forecast

    _patient_budget(seed, workers, simulations)
    spec = load_patient(patient)
    started = time.perf_counter()
    settings = ForecastSettings(n_simulations=simulations, workers=workers, years=years)
    fc, _ = run_forecast(spec, settings=settings, rng=seed)
    seconds = time.perf_counter() - started
    write_forecast(fc, out, seconds=round(seconds, 2))
    r = fc.risks.iloc[min(2, len(fc.risks) - 1)]
    typer.echo(
        f"cllsim: forecast {spec.name}, seed {fc.summary['seed']}: P({r['risk']} at "
        f"{r['years']} y) = {r['probability']:.0%} ({r['low_90']:.0%}-{r['high_90']:.0%}); "
        f"{seconds:.1f} s; wrote {out}/report.html"
    )


@app.command("navigate")
def navigate_command(
    patient: Annotated[str, typer.Argument(help="Patient file (YAML) or built-in name.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the result files.")],
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (>= 0).")] = None,
    strategies: Annotated[
        Path | None, typer.Option("--strategies", help="YAML file of your own strategies.")
    ] = None,
    builtin: Annotated[
        bool, typer.Option("--builtin/--no-builtin", help="Include the six built-in ones.")
    ] = True,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 2,
    simulations: Annotated[
        int, typer.Option("--simulations", help="Prior simulations (ABC reference table).")
    ] = 240,
    draws: Annotated[int, typer.Option("--draws", help="Posterior draws per strategy.")] = 12,
    optimise: Annotated[
        int, typer.Option("--optimise", help="Optimiser evaluations of the MRD family (0: none).")
    ] = 6,
) -> None:
    """Compare treatment strategies for one patient under its posterior; rank them."""
    from cllsim.navigate import (
        BUILTIN_STRATEGIES,
        ForecastSettings,
        NavigateSettings,
        load_patient,
        load_strategies,
    )
    from cllsim.navigator_runs import run_navigation, write_navigation

    _patient_budget(seed, workers, simulations)
    if draws < 2 or optimise < 0:
        raise fail(f"--draws must be >= 2 and --optimise >= 0, got {draws} and {optimise}")
    spec = load_patient(patient)
    chosen = (list(BUILTIN_STRATEGIES) if builtin else []) + (
        list(load_strategies(strategies)) if strategies is not None else []
    )
    if not chosen:
        raise fail("no strategy to compare: give --strategies FILE or keep --builtin")
    names = [s.name for s in chosen]
    if len(set(names)) != len(names):
        raise fail(f"strategy names must be unique, got {names}")
    started = time.perf_counter()
    fc, nav = run_navigation(
        spec,
        forecast_settings=ForecastSettings(n_simulations=simulations, workers=workers),
        settings=NavigateSettings(n_draws=draws, workers=workers, optimise_calls=optimise),
        strategies=chosen,
        rng=seed,
    )
    seconds = time.perf_counter() - started
    write_navigation(fc, nav, out, seconds=round(seconds, 2))
    typer.echo(f"cllsim: navigate {spec.name}, seed {nav.summary['seed']}: {nav.summary['why']}")
    typer.echo(f"cllsim: {seconds:.1f} s; wrote {out}/report.html")


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    try:
        # in non-standalone mode a raised typer.Exit comes back as the return value
        code = app(args=argv if argv is not None else sys.argv[1:], standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (SpecError, AlgorithmError) as exc:
        typer.echo(f"cllsim: error: {exc}", err=True)
        return 2
    except SystemExit as exc:
        return int(exc.code or 0)
    except typer.Abort:
        return 130
    except TyperException as exc:  # usage errors (bad option value, missing option ...)
        message = " ".join(exc.format_message().split())
        if message:  # empty after no_args_is_help has printed the help
            typer.echo(f"cllsim: error: {message}", err=True)
        return int(exc.exit_code)
    return code if isinstance(code, int) else 0


def run() -> None:
    """Console-script entry point."""
    raise SystemExit(main())


if __name__ == "__main__":
    run()
