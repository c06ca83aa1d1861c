"""Algorithms: small frozen dataclasses holding only their own tuning options (STYLE §2).

Capabilities are class attributes, checked before a run starts.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from cllsim.errors import AlgorithmError

__all__ = ["ALGORITHMS", "Algorithm", "ExactSSA", "KendallLeap"]


@dataclass(frozen=True)
class Algorithm:
    """Base of all engine algorithms."""

    exact: ClassVar[bool]
    supports_time_varying_rates: ClassVar[bool]
    supports_large_counts: ClassVar[bool]

    def options(self) -> dict[str, object]:
        """The tuning options, for provenance."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class KendallLeap(Algorithm):
    """Exact whole-clone leaps, with exact event-by-event simulation where counts are small.

    The default algorithm.  Use it for everything: 1 cell to 1e15 cells, constant or
    time-varying rates, dosing events, stop conditions.

    Each step (at most ``max_step_days``, cut at every record time, event and rate knot, and
    short enough that at most ``max_move_fraction`` of a type's cells move per step, a limit
    lifted up to where ``h^2 * max_e(move rate_e * |difference of birth rate across e|)``
    reaches ``max_commutator``, since the splitting is exact when both ends of a move divide
    alike; beyond ``mean_correction_above`` only while no spawn edge is expected to emit more
    than ``max_exact_arrivals`` cells in the step), every type of a group connected by moves
    (a *component*, e.g. one genotype's
    compartments and phenotypes) that holds at least ``exact_below`` cells, and every type
    with no outgoing move or spawn, is leapt.  A type that does not move jumps across the step
    in one draw from the exact law of the linear birth–death process with time-varying rates
    (Kendall 1948): ``K ~ Binomial(N0, 1 - alpha)`` surviving lineages,
    ``N = K + NegBinomial(K, 1 - beta)``.

    Leapt types that move (migration, switching) are advanced by Strang splitting: births (a
    Yule leap) over half the step, every cell's fate (moved or dead) from the exact chain of
    moves and deaths (``expm`` of their rates at mid-step), births over the second half.  This
    is the main approximation, second order in the step, with an error set by how differently
    the two ends of a move divide (``tests/engine/test_leap_bias.py`` measures it against the
    exact mean).  On a step where ``h^2 * commutator`` exceeds ``mean_correction_above`` the
    mean is made exact: each mover's second-half births are set so that its expected count at
    the end, given the counts at the start, is ``x expm((A + B) h)`` (one more matrix
    exponential per component and rates); the splitting then touches only the spread (+2.9%
    in standard deviation at ``h^2 * commutator = 0.3`` on the test's fast-migrating
    network).  The chain's multinomial draws use the rounded normal with the binomial's mean
    and variance where that variance is at least ``normal_above`` (1e6 cells²: the skewness
    differs by at most 1e-3); this second approximation touches only very large types.

    Spawns (mutation at division) of leapt types leave as Poisson arrivals whose intensity
    follows the population; up to ``max_exact_arrivals`` per edge and step are followed
    exactly from one cell at their own arrival time by the event-by-event simulation (direct
    method, thinning for time-varying rates), which also simulates the types of every smaller
    component that have an outgoing edge; more, or those landing in a leapt type that holds
    at least ``batch_into`` times all the cells so batched into it in the step (every edge),
    join as one batch at their mean arrival time and do not move on within the step.  Inflow
    arrives the same way, except that it is never batched for joining a large type.

    ``batch_into`` (0: off) trades exactness for speed in one place: spawned cells that join
    a large clone stay where they arrived for the rest of their step.  Each step's cohort is
    at most 1/``batch_into`` of the type, so compartment means carry a persistent
    misplacement of up to about that fraction times the chance of moving within the rest of
    a step (0.30% at 0.9% arrivals per 1-day step between types exchanging at one a day,
    ``tests/engine/test_leap_bias.py``; 0.44% at 28-day steps in review; with births alike,
    totals are unbiased).  In a CLL14
    patient mutants arise in node and marrow, which cells leave at 0.04 a day, and it is not
    detectable (``tests/engine/test_patient.py``); it saves the event-by-event part that each
    such cell kept running for the rest of its step (Ven-Obi's engine time 22.8 -> 20.3 ms,
    Clb-Obi's 10.0 -> 6.6 ms).

    A stop at a total count is exact: steps shrink so that the total cannot reach the limit
    within a step (8 standard deviations of margin) and the last part is simulated event by
    event once the remaining margin is within ``exact_below`` cells' worth of events.

    References
    ----------
    Kendall DG (1948) On the generalized "birth-and-death" process. Ann Math Stat 19:1-15,
    doi:10.1214/aoms/1177730285.
    """

    exact: ClassVar[bool] = True
    supports_time_varying_rates: ClassVar[bool] = True
    supports_large_counts: ClassVar[bool] = True

    max_step_days: float = 1.0
    exact_below: int = 1000
    max_exact_arrivals: int = 256
    max_move_fraction: float = 0.1
    max_commutator: float = 0.005
    mean_correction_above: float = 0.005
    normal_above: float = 1.0e6
    batch_into: int = 100

    def __post_init__(self) -> None:
        if not self.max_step_days > 0:
            raise AlgorithmError(
                f"KendallLeap: max_step_days must be > 0 days, got {self.max_step_days!r}"
            )
        if not 1 <= self.exact_below <= 10**7:
            raise AlgorithmError(
                f"KendallLeap: exact_below must be in 1..1e7 cells, got {self.exact_below!r}"
            )
        if not 0 < self.max_move_fraction <= 1:
            raise AlgorithmError(
                f"KendallLeap: max_move_fraction must be in (0, 1], got {self.max_move_fraction!r}"
            )
        if not self.max_commutator > 0:
            raise AlgorithmError(
                f"KendallLeap: max_commutator must be > 0, got {self.max_commutator!r}"
            )
        if not self.mean_correction_above >= 0:
            raise AlgorithmError(
                "KendallLeap: mean_correction_above must be >= 0, got "
                f"{self.mean_correction_above!r}"
            )
        if not self.normal_above >= 1.0e4:
            raise AlgorithmError(
                "KendallLeap: normal_above must be >= 1e4 (the variance of a binomial draw "
                f"from which the normal approximation is used), got {self.normal_above!r}"
            )
        if not (isinstance(self.batch_into, int) and 0 <= self.batch_into <= 10**9):
            raise AlgorithmError(
                "KendallLeap: batch_into must be an integer in 0..1e9 (0: spawned cells are "
                f"never batched for joining a large type), got {self.batch_into!r}"
            )
        if not 0 <= self.max_exact_arrivals <= 10**6:
            raise AlgorithmError(
                "KendallLeap: max_exact_arrivals must be in 0..1e6, got "
                f"{self.max_exact_arrivals!r}"
            )


@dataclass(frozen=True)
class ExactSSA(Algorithm):
    """Gillespie's direct method, event by event; the independent reference.

    Slow and plainly correct: every birth, death, move, spawn and inflow is one event; a
    time-varying rate is handled by thinning (Lewis & Shedler 1979) against its maximum over
    the current rate segment, which is exact.  Use it only for small networks (it makes about
    ``(N - 1)(b + d)/(b - d)`` events to grow a clone to ``N`` cells) and to verify
    :class:`KendallLeap`.  ``max_events`` guards against runaway runs.

    References
    ----------
    Gillespie DT (1977) Exact stochastic simulation of coupled chemical reactions.
    J Phys Chem 81:2340-2361, doi:10.1021/j100540a008.
    """

    exact: ClassVar[bool] = True
    supports_time_varying_rates: ClassVar[bool] = True
    supports_large_counts: ClassVar[bool] = False

    max_events: int = 10**9

    def __post_init__(self) -> None:
        if not self.max_events >= 1:
            raise AlgorithmError(f"ExactSSA: max_events must be >= 1, got {self.max_events!r}")


ALGORITHMS: tuple[Algorithm, ...] = (KendallLeap(), ExactSSA())
