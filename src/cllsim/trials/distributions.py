"""Distributions of patient parameters in a virtual population, drawn with scipy.stats.

Each distribution is a frozen pydantic spec with its ``source`` and ``tag`` ([V] checked
against the source, [M] remembered from the source but not re-checked, [A] an assumption of
this model, [C] set by ``cllsim calibrate``), like the parameter library.  Continuous
distributions may be truncated to ``[low, high]`` and the draw then multiplied, per patient,
by

- ``scale_by``: the value of another numeric parameter of the same patient (a shared
  population-level multiplier, or a rate drawn relative to another rate), and
- ``factor_by``: a factor per category of a categorical parameter (e.g. IGHV status).

The bounds apply to the draw before these multipliers; the scenario then checks the final
value against its own limits.

=============  ==========================================  ===================================
``dist``       fields                                      scipy.stats
=============  ==========================================  ===================================
fixed          value (number or text), scale_by (numbers)  none (a constant, or a constant
                                                           times another parameter)
normal         mean, sd, low, high                         norm / truncnorm
lognormal      median, sigma (log-scale sd) or cv, low,    lognorm / truncnorm on the log
               high                                        scale (exp of a truncated normal)
uniform        low, high                                   uniform
categorical    p: {category: probability}                  Generator.choice
=============  ==========================================  ===================================

For a lognormal with coefficient of variation ``cv``, ``sigma = sqrt(ln(1 + cv**2))``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator
from scipy import special, stats

__all__ = [
    "CategoricalDist",
    "Distribution",
    "FixedDist",
    "LogNormalDist",
    "NormalDist",
    "UniformDist",
    "draw_distribution",
    "frozen_distribution",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")
Tag = Literal["V", "M", "A", "C"]


class _Base(BaseModel):
    model_config = _FROZEN

    source: str = Field("", description="where the figures come from (paper, DOI, library)")
    tag: Tag = Field(
        "A", description="V checked, M remembered (not re-checked), A assumption, C calibrated"
    )

    def multiplier(self, values: dict[str, NDArray], n: int) -> NDArray[np.float64] | None:
        """Per-patient multiplier of the draw from parameters already drawn (None: none)."""
        return None


class _Continuous(_Base):
    low: float = Field(-math.inf, description="lower bound of the draw (truncation)")
    high: float = Field(math.inf, description="upper bound of the draw (truncation)")
    scale_by: str | None = Field(
        None, description="dotted name of a numeric parameter multiplying this one, per patient"
    )
    factor_by: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="{categorical parameter: {category: factor}} multiplying this one",
    )

    @model_validator(mode="after")
    def _bounds(self) -> _Continuous:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        for ref, factors in self.factor_by.items():
            for cat, f in factors.items():
                if not (f > 0 and math.isfinite(f)):
                    raise ValueError(f"factor_by[{ref!r}][{cat!r}] must be > 0, got {f}")
        return self

    def depends_on(self) -> tuple[str, ...]:
        """Parameters that must be drawn before this one."""
        return ((self.scale_by,) if self.scale_by else ()) + tuple(self.factor_by)

    def multiplier(self, values: dict[str, NDArray], n: int) -> NDArray[np.float64]:
        """Per-patient multiplier from ``scale_by`` and ``factor_by`` (already drawn)."""
        mult = np.ones(n)
        if self.scale_by is not None:
            mult = mult * values[self.scale_by]
        for ref, factors in self.factor_by.items():
            factor = np.ones(n)  # categories not listed: 1
            for category, f in factors.items():
                factor[values[ref] == category] = f
            mult = mult * factor
        return mult


class FixedDist(_Base):
    """A constant: every patient gets ``value``, or ``value`` times the patient's value of
    the numeric parameter ``scale_by`` (a rate fixed relative to another one, e.g. marrow
    homing as a multiple of marrow egress)."""

    dist: Literal["fixed"]
    value: float | str
    scale_by: str | None = Field(
        None, description="dotted name of a numeric parameter multiplying this one, per patient"
    )

    @model_validator(mode="after")
    def _numeric_if_scaled(self) -> FixedDist:
        if self.scale_by is not None and isinstance(self.value, str):
            raise ValueError(f"scale_by needs a numeric value, got {self.value!r}")
        return self

    def depends_on(self) -> tuple[str, ...]:
        return (self.scale_by,) if self.scale_by else ()

    def multiplier(self, values: dict[str, NDArray], n: int) -> NDArray[np.float64] | None:
        """``scale_by``'s values per patient, or None for a plain constant."""
        if self.scale_by is None:
            return None
        return np.asarray(values[self.scale_by], dtype=np.float64) * np.ones(n)


class NormalDist(_Continuous):
    """Normal with ``mean`` and ``sd``, optionally truncated to ``[low, high]``."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(gt=0)


class LogNormalDist(_Continuous):
    """Lognormal with ``median`` and log-scale ``sigma`` (or ``cv``), truncated to
    ``[low, high]`` (``low`` >= 0)."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float | None = Field(None, gt=0, description="sd of ln(value)")
    cv: float | None = Field(None, gt=0, description="coefficient of variation")
    low: float = Field(0.0, ge=0, description="lower bound of the draw (truncation)")

    @model_validator(mode="after")
    def _one_spread(self) -> LogNormalDist:
        if (self.sigma is None) == (self.cv is None):
            raise ValueError(
                f"give exactly one of sigma (log-scale sd) and cv, got sigma={self.sigma}, "
                f"cv={self.cv}"
            )
        return self

    @property
    def log_sd(self) -> float:
        """The sd of ln(value): ``sigma``, or ``sqrt(ln(1 + cv**2))``."""
        if self.sigma is not None:
            return self.sigma
        return math.sqrt(math.log1p(self.cv**2))  # type: ignore[operator]


class UniformDist(_Continuous):
    """Uniform on ``[low, high]`` (both finite)."""

    dist: Literal["uniform"]

    @model_validator(mode="after")
    def _finite(self) -> UniformDist:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"uniform needs finite low and high, got {self.low}, {self.high}")
        return self


class CategoricalDist(_Base):
    """A category drawn with probabilities ``p`` (summing to 1)."""

    dist: Literal["categorical"]
    p: dict[str, float] = Field(min_length=1)

    @model_validator(mode="after")
    def _probabilities(self) -> CategoricalDist:
        if any(not (0 <= v <= 1) for v in self.p.values()):
            raise ValueError(f"probabilities must lie in [0, 1], got {self.p}")
        if abs(sum(self.p.values()) - 1.0) > 1e-9:
            raise ValueError(f"probabilities must sum to 1, got {sum(self.p.values())}")
        return self

    def depends_on(self) -> tuple[str, ...]:
        return ()


Distribution = Annotated[
    FixedDist | NormalDist | LogNormalDist | UniformDist | CategoricalDist,
    Field(discriminator="dist"),
]


def frozen_distribution(dist: NormalDist | LogNormalDist | UniformDist) -> tuple[Any, bool]:
    """The scipy.stats frozen distribution of the draw (before any multiplier), on the
    scale where scipy has it: ``(frozen, False)`` for the value itself (normal, uniform),
    ``(frozen, True)`` for ``ln(value)`` (lognormal: a truncated normal of the log).

    Used by tests and plots to compare draws with their law.
    """
    if isinstance(dist, NormalDist):
        a, b = (dist.low - dist.mean) / dist.sd, (dist.high - dist.mean) / dist.sd
        return stats.truncnorm(a, b, loc=dist.mean, scale=dist.sd), False
    if isinstance(dist, LogNormalDist):
        mu, s = math.log(dist.median), dist.log_sd
        lo = (math.log(dist.low) - mu) / s if dist.low > 0 else -math.inf
        hi = (math.log(dist.high) - mu) / s
        return stats.truncnorm(lo, hi, loc=mu, scale=s), True
    return stats.uniform(loc=dist.low, scale=dist.high - dist.low), False


def _truncated_normal(
    mu: float, sd: float, lo: float, hi: float, n: int, rng: np.random.Generator
) -> NDArray:
    """``n`` draws of N(mu, sd) truncated to [lo, hi], by inversion of one uniform each, as
    ``scipy.stats.truncnorm.rvs`` draws them (same uniforms; values equal to ~1e-15), in
    microseconds instead of its ~0.3 ms per call (a trial draws a dozen per patient).  The
    tail the bounds lie in is taken from the side where the normal CDF keeps its precision
    (all bounds within 37 SD of the mean)."""
    a, b = (lo - mu) / sd, (hi - mu) / sd
    if math.isinf(a) and math.isinf(b):
        return mu + sd * rng.standard_normal(n)
    u = rng.uniform(size=n)
    if a < 0:
        pa, pb = special.ndtr(a), special.ndtr(b)
        z = special.ndtri(pa + u * (pb - pa))
    else:  # both bounds right of the mean: upper-tail probabilities
        qa, qb = special.ndtr(-a), special.ndtr(-b)
        z = -special.ndtri(qa - u * (qa - qb))
    return mu + sd * np.clip(z, a, b)


def draw_distribution(
    dist: FixedDist | NormalDist | LogNormalDist | UniformDist | CategoricalDist,
    n: int,
    rng: np.random.Generator,
    *,
    multiplier: NDArray[np.float64] | None = None,
) -> NDArray:
    """``n`` draws of ``dist``; continuous draws times ``multiplier`` (float64[n]).

    Returns float64[n] for numeric distributions, object[n] of str for categorical ones (and
    for a fixed text value).
    """
    if isinstance(dist, FixedDist):
        if isinstance(dist.value, str):
            return np.full(n, dist.value, dtype=object)
        x = np.full(n, float(dist.value))
        return x if multiplier is None else x * np.asarray(multiplier, dtype=np.float64)
    if isinstance(dist, CategoricalDist):
        cats = np.array(list(dist.p), dtype=object)
        return cats[rng.choice(cats.size, size=n, p=np.array(list(dist.p.values())))]
    if isinstance(dist, NormalDist):
        x = _truncated_normal(dist.mean, dist.sd, dist.low, dist.high, n, rng)
    elif isinstance(dist, LogNormalDist):
        lo = math.log(dist.low) if dist.low > 0 else -math.inf
        x = np.exp(_truncated_normal(math.log(dist.median), dist.log_sd, lo,
                                     math.log(dist.high), n, rng))  # fmt: skip
    else:
        x = dist.low + (dist.high - dist.low) * rng.uniform(size=n)
    return x if multiplier is None else x * np.asarray(multiplier, dtype=np.float64)
