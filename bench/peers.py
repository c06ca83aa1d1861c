"""The peer: GillesPy2's C++ solvers (SSACSolver, TauLeapingCSolver) on W1-W4.

GillesPy2 compiles every model into a C++ executable when its solver is constructed (scons +
g++), runs it as a subprocess and parses its text output; its species counts are 32-bit
``unsigned int`` (``c_base/model.h``).  What we do per workload, and why:

* W1, W2: a mass-action birth-death model, exactly the workload.
* W3: GillesPy2 has no stop condition.  Every propensity is multiplied by the indicator
  ``ceil((M - (S + R)) / M)``, which is 1 while S + R < M and 0 once S + R = M (counts move by
  one cell per event), so each run freezes at the first event that brings the total to M; it
  is then run to the same 200-day horizon as cllsim and post-selected (runs at 0 cells are the
  extinct ones).  This is exact and comparable.  (GillesPy2 drops comparison operators from
  custom propensities, so ``(S + R) < M`` cannot be used.)  Tau-leaping can step over M; the
  state it reports is the one at the first leap that crosses M.
* W4: one clone at 1e12 cells would take decades.  SSACSolver is timed on one clone of 1e9
  cells (which fits 32 bits) over a short horizon; its event rate (expected events /
  seconds) extrapolates the full workload's expected event count.  A tiny run started at
  1e12 shows the overflow.
* Time budget: a pilot run estimates each call; when the full call would exceed the budget,
  the timed calls use fewer runs and the time is scaled linearly to the full count (runs are
  independent and simulated one after another), labelled "extrapolated".
"""

from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "PeerTiming",
    "birth_death_model",
    "build_solver",
    "ensure_build_tools",
    "resistance_model",
    "species_array",
    "time_peer",
    "w4_overflow",
    "w4_ssa_extrapolation",
]


def ensure_build_tools() -> None:
    """Put this interpreter's ``bin/`` (where pip installed ``scons``) first on PATH.

    GillesPy2 finds SCons with ``shutil.which("scons")`` and otherwise runs
    ``Path(sys.executable).resolve() -m SCons``; ``resolve()`` follows the virtualenv's
    symlink to the base interpreter, which does not have SCons, so the build fails unless the
    venv's ``scons`` script is on PATH.
    """
    bindir = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + path


def birth_death_model(name: str, n0: int, birth: float, death: float, times: NDArray) -> Any:
    """A GillesPy2 mass-action model X -> 2X (rate birth X), X -> 0 (rate death X)."""
    from gillespy2 import Model, Parameter, Reaction, Species

    m = Model(name=name)
    m.add_species(Species(name="X", initial_value=int(n0), mode="discrete"))
    m.add_parameter([Parameter(name="b", expression=birth), Parameter(name="d", expression=death)])
    m.add_reaction(
        [
            Reaction(name="birth", reactants={"X": 1}, products={"X": 2}, rate="b"),
            Reaction(name="death", reactants={"X": 1}, products={}, rate="d"),
        ]
    )
    m.timespan(np.asarray(times, dtype=np.float64))
    return m


def resistance_model(m_cells: int, u: float, birth: float, death: float, times: NDArray) -> Any:
    """W3 in GillesPy2: S -> 2S at b(1-u), S -> S + R at b u, deaths, R -> 2R; frozen at M."""
    from gillespy2 import Model, Parameter, Reaction, Species

    m = Model(name="w3_resistance")
    m.add_species(
        [
            Species(name="S", initial_value=1, mode="discrete"),
            Species(name="R", initial_value=0, mode="discrete"),
        ]
    )
    m.add_parameter(
        [
            Parameter(name="b", expression=birth),
            Parameter(name="d", expression=death),
            Parameter(name="u", expression=u),
            Parameter(name="M", expression=m_cells),
        ]
    )
    on = "ceil((M - (S + R)) / M)"  # 1 while S + R < M, 0 at S + R = M
    m.add_reaction(
        [
            Reaction(
                name="birth_S",
                reactants={"S": 1},
                products={"S": 2},
                propensity_function=f"b * (1 - u) * S * {on}",
            ),
            Reaction(
                name="mutate_S",
                reactants={"S": 1},
                products={"S": 1, "R": 1},
                propensity_function=f"b * u * S * {on}",
            ),
            Reaction(
                name="death_S", reactants={"S": 1}, products={}, propensity_function=f"d * S * {on}"
            ),
            Reaction(
                name="birth_R",
                reactants={"R": 1},
                products={"R": 2},
                propensity_function=f"b * R * {on}",
            ),
            Reaction(
                name="death_R", reactants={"R": 1}, products={}, propensity_function=f"d * R * {on}"
            ),
        ]
    )
    m.timespan(np.asarray(times, dtype=np.float64))
    return m


def build_solver(kind: str, model: Any) -> tuple[Any, float]:
    """Construct ``SSACSolver`` or ``TauLeapingCSolver`` (this compiles the model); seconds."""
    import gillespy2

    ensure_build_tools()
    cls = {"ssa": gillespy2.SSACSolver, "tau": gillespy2.TauLeapingCSolver}[kind]
    t0 = time.perf_counter()
    solver = cls(model=model)
    return solver, time.perf_counter() - t0


def species_array(results: Any, name: str) -> NDArray[np.float64]:
    """float64[n_trajectories, n_times] of species ``name`` from GillesPy2 Results."""
    return np.array([traj[name] for traj in results], dtype=np.float64)


@dataclass
class PeerTiming:
    """Timed calls of one peer solver on one workload."""

    n_full: int
    n_timed: int
    seconds: list[float] = field(default_factory=list)
    pilot_runs: int = 0
    pilot_seconds: float = 0.0
    results: Any = None
    error: str | None = None

    @property
    def median(self) -> float:
        """Median seconds of the timed calls (with ``n_timed`` runs)."""
        return float(np.median(self.seconds)) if self.seconds else float("nan")

    @property
    def extrapolated(self) -> bool:
        """True when the timed calls ran fewer runs than the workload asks."""
        return self.n_timed < self.n_full

    @property
    def full_seconds(self) -> float:
        """Median scaled to the workload's run count (linear in runs)."""
        return self.median * self.n_full / self.n_timed


def time_peer(
    solver: Any, *, n_runs: int, seed: int, repeat: int, budget_s: float, pilot_runs: int
) -> PeerTiming:
    """Pilot (also the warm-up), then ``repeat`` timed calls with the same seed.

    The pilot runs ``pilot_runs`` trajectories; if the full ``n_runs`` would take longer than
    ``budget_s`` by its estimate, the timed calls use ``floor(budget_s / per_run)`` runs.
    """
    pilot_runs = max(1, min(pilot_runs, n_runs))
    t0 = time.perf_counter()
    solver.run(number_of_trajectories=pilot_runs, seed=seed)
    pilot = time.perf_counter() - t0
    per_run = pilot / pilot_runs
    n_timed = n_runs if per_run * n_runs <= budget_s else max(1, int(budget_s / per_run))
    out = PeerTiming(n_full=n_runs, n_timed=n_timed, pilot_runs=pilot_runs, pilot_seconds=pilot)
    for _ in range(repeat):
        t0 = time.perf_counter()
        out.results = solver.run(number_of_trajectories=n_timed, seed=seed)
        out.seconds.append(time.perf_counter() - t0)
    return out


def w4_expected_events(n0: float, birth: float, death: float, t: float) -> float:
    """Expected events of a linear birth-death clone over [0, t]: (b+d) n0 (e^{lt} - 1)/l."""
    lam = birth - death
    return (birth + death) * n0 * math.expm1(lam * t) / lam


def w4_ssa_extrapolation(
    *,
    birth: float,
    death: float,
    n0_full: float,
    t_full: float,
    n_clones: int,
    repeat: int,
    budget_s: float,
    n0_probe: int = 10**9,
) -> dict[str, float]:
    """Time SSACSolver on one clone of ``n0_probe`` cells over a short horizon; extrapolate.

    The horizon is chosen from a pilot so that one timed call takes about
    ``min(budget_s, 5)`` seconds.  Returns the event rate and the extrapolated seconds for one
    clone and for ``n_clones`` clones of the full workload.
    """
    h0 = 0.25
    model = birth_death_model("w4_probe", n0_probe, birth, death, np.array([0.0, h0]))
    solver, build_s = build_solver("ssa", model)
    t0 = time.perf_counter()
    solver.run(number_of_trajectories=1, seed=1)
    pilot = time.perf_counter() - t0
    rate0 = w4_expected_events(n0_probe, birth, death, h0) / pilot
    target_s = min(budget_s, 5.0)
    h = h0 * max(1.0, target_s / pilot)
    model = birth_death_model("w4_probe", n0_probe, birth, death, np.array([0.0, h]))
    solver, build2_s = build_solver("ssa", model)
    solver.run(number_of_trajectories=1, seed=1)  # warm-up
    secs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        solver.run(number_of_trajectories=1, seed=1)
        secs.append(time.perf_counter() - t0)
    med = float(np.median(secs))
    events = w4_expected_events(n0_probe, birth, death, h)
    rate = events / med
    full_events = w4_expected_events(n0_full, birth, death, t_full)
    one = full_events / rate
    return {
        "probe_n0": float(n0_probe),
        "probe_horizon_days": h,
        "probe_events": events,
        "probe_median_s": med,
        "pilot_rate": rate0,
        "events_per_s": rate,
        "build_s": build_s,
        "rebuild_s": build2_s,
        "events_per_clone": full_events,
        "seconds_per_clone": one,
        "seconds_total": one * n_clones,
    }


def w4_overflow(*, n0: int, birth: float, death: float) -> dict[str, Any]:
    """Start SSACSolver and TauLeapingCSolver at ``n0`` cells for a moment; report what comes back.

    The SSA horizon is 1e-6 days (a few thousand events); tau-leaping runs one day.
    """
    out: dict[str, Any] = {"n0": n0, "n0_mod_2_32": n0 % 2**32}
    probe = birth_death_model("w4_overflow", n0, birth, death, np.array([0.0, 1e-6]))
    ssa, _ = build_solver("ssa", probe)
    res = ssa.run(number_of_trajectories=1, seed=1)
    out["ssa_x0"] = float(species_array(res, "X")[0, 0])
    probe = birth_death_model("w4_overflow_tau", n0, birth, death, np.array([0.0, 1.0]))
    tau, _ = build_solver("tau", probe)
    t0 = time.perf_counter()
    with tempfile.TemporaryFile(mode="w+") as err_file:
        saved = os.dup(2)  # the executable's stderr is inherited: catch what it says
        os.dup2(err_file.fileno(), 2)
        try:
            res = tau.run(number_of_trajectories=1, seed=1, timeout=30)
            out["tau_x0"] = float(species_array(res, "X")[0, 0])
            out["tau_error"] = None
        except Exception as err:  # the C++ executable aborts; GillesPy2 raises ExecutionError
            out["tau_error"] = f"{type(err).__name__}: {str(err).splitlines()[0]}"
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        err_file.seek(0)
        out["tau_stderr"] = " ".join(err_file.read().split())
    out["tau_seconds"] = time.perf_counter() - t0
    return out
