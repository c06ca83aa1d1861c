"""A virtual population: a distribution for every patient parameter, each with its source.

A parameter is addressed by its dotted name in the scenario (``patient.age_years``,
``patient.kinetics.birth_lymph_node``, ``patient.drug_exposure.venetoclax``,
``persisters.exit`` ...).  Two prefixes name parameters that are not scenario fields:

- ``mortality.*``: ``mortality.sex`` (``male`` / ``female``) and ``mortality.hazard_ratio``
  (comorbidity multiplier of the life-table hazard) drive the death from other causes
  (:mod:`cllsim.trials.mortality`);
- ``shared.*``: population-level multipliers that other parameters use through
  ``scale_by`` (e.g. one microenvironment strength scaling both niches' protection).

Public interface (used by the trial runner, calibration and forecasting):
:class:`PopulationSpec`, :func:`builtin_population`, :func:`draw_parameters` (one patient:
:func:`draw_patient`),
:func:`apply_parameters`, :func:`with_overrides`.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Mapping
from importlib import resources
from typing import Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cllsim.errors import SpecError
from cllsim.model import Scenario
from cllsim.trials.distributions import (
    CategoricalDist,
    Distribution,
    FixedDist,
    LogNormalDist,
    NormalDist,
    UniformDist,
    draw_distribution,
)
from cllsim.trials.mortality import SEXES

__all__ = [
    "NON_SCENARIO_PREFIXES",
    "MortalitySpec",
    "PopulationSpec",
    "apply_parameters",
    "builtin_population",
    "builtin_populations",
    "draw_parameters",
    "draw_patient",
    "with_overrides",
]

NON_SCENARIO_PREFIXES = ("mortality.", "shared.")
_MORTALITY_NAMES = ("mortality.sex", "mortality.hazard_ratio")
_FROZEN = ConfigDict(frozen=True, extra="forbid")
_BUILTIN = ("builtin", "populations")


class MortalitySpec(BaseModel):
    """Deaths from other causes (see :mod:`cllsim.trials.mortality`)."""

    model_config = _FROZEN

    enabled: bool = Field(True, description="draw a death from other causes per patient")
    table: Literal["us-ssa-2022"] = Field("us-ssa-2022", description="life table")


@functools.lru_cache(maxsize=512)
def _resolve(name: str) -> str | None:
    """None if ``name`` is a settable scalar of :class:`Scenario`, else why not."""
    if name.startswith(NON_SCENARIO_PREFIXES):
        if name.startswith("mortality.") and name not in _MORTALITY_NAMES:
            return f"unknown mortality parameter; expected one of {', '.join(_MORTALITY_NAMES)}"
        return None if len(name.split(".")) == 2 and name.split(".")[1] else "bad name"
    parts = name.split(".")
    model: type[BaseModel] = Scenario
    for i, part in enumerate(parts):
        fields = model.model_fields
        if part not in fields:
            return f"{part!r} is not a field of {'.'.join(parts[:i]) or 'the scenario'}; " + (
                f"expected one of {', '.join(fields)}"
            )
        ann = fields[part].annotation
        last = i == len(parts) - 1
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if last:
                return f"{name} is a section; name one of its fields: {', '.join(ann.model_fields)}"
            model = ann
            continue
        if typing.get_origin(ann) is dict:
            keys = typing.get_args(typing.get_args(ann)[0])
            if i != len(parts) - 2:
                return f"{'.'.join(parts[: i + 1])} needs exactly one key: one of {', '.join(keys)}"
            if keys and parts[-1] not in keys:
                return f"unknown key {parts[-1]!r}; expected one of {', '.join(keys)}"
            return None
        if not last:
            return f"{'.'.join(parts[: i + 1])} is a value, not a section"
        if typing.get_origin(ann) is tuple:
            return f"{name} is a list; it cannot be drawn per patient"
        return None
    return None


class PopulationSpec(BaseModel):
    """The trial file's ``population:`` section: a distribution per dotted parameter name.

    Parameters not named keep the scenario's (library) default for every patient.
    """

    model_config = _FROZEN

    name: str = Field("custom", min_length=1)
    description: str = ""
    parameters: dict[str, Distribution] = Field(default_factory=dict)
    mortality: MortalitySpec = Field(default_factory=MortalitySpec)

    @model_validator(mode="after")
    def _consistent(self) -> PopulationSpec:
        for name, dist in self.parameters.items():
            why = _resolve(name)
            if why is not None:
                raise ValueError(f"parameter {name!r}: {why}")
            for ref in dist.depends_on():
                if ref not in self.parameters:
                    raise ValueError(
                        f"parameter {name!r} refers to {ref!r}, which the population does not "
                        "define; add it to parameters"
                    )
            for ref, factors in getattr(dist, "factor_by", {}).items():
                other = self.parameters[ref]
                if not isinstance(other, CategoricalDist):
                    raise ValueError(f"parameter {name!r}: factor_by {ref!r} must be categorical")
                unknown = set(factors) - set(other.p)
                if unknown:
                    raise ValueError(
                        f"parameter {name!r}: factor_by {ref!r} names unknown categories "
                        f"{sorted(unknown)}; expected among {sorted(other.p)}"
                    )
            ref = getattr(dist, "scale_by", None)
            if ref is not None and isinstance(self.parameters[ref], CategoricalDist):
                raise ValueError(f"parameter {name!r}: scale_by {ref!r} must be numeric")
            if not name.startswith(NON_SCENARIO_PREFIXES):
                _check_value(name, dist)
        sex = self.parameters.get("mortality.sex")
        if sex is not None and not (isinstance(sex, CategoricalDist) and set(sex.p) <= set(SEXES)):
            raise ValueError(f"mortality.sex must be categorical over {', '.join(SEXES)}")
        if self.mortality.enabled and sex is None:
            raise ValueError(
                "mortality is enabled but the population has no 'mortality.sex' parameter; "
                "add it (e.g. {dist: categorical, p: {male: 0.5, female: 0.5}}) or set "
                "mortality.enabled: false"
            )
        self.draw_order()  # raises on a cycle
        return self

    def draw_order(self) -> tuple[str, ...]:
        """Names in an order where every parameter comes after those it depends on."""
        order: list[str] = []
        pending = list(self.parameters)
        while pending:
            ready = [n for n in pending if all(d in order for d in self.parameters[n].depends_on())]
            if not ready:
                raise ValueError(f"parameters depend on each other in a cycle: {pending}")
            order += ready
            pending = [n for n in pending if n not in ready]
        return tuple(order)

    def is_categorical(self, name: str) -> bool:
        """True if parameter ``name`` takes text values."""
        d = self.parameters[name]
        return isinstance(d, CategoricalDist) or (
            isinstance(d, FixedDist) and isinstance(d.value, str)
        )


def _check_value(name: str, dist: Any) -> None:
    """Every category (or the median / mean) must be a valid value of the scenario field."""
    base = Scenario(name="check")
    if isinstance(dist, CategoricalDist):
        values: list[Any] = list(dist.p)
    elif isinstance(dist, FixedDist):
        values = [dist.value]
    else:
        return  # numeric ranges are checked per draw by the scenario's own validation
    for v in values:
        apply_parameters(base, {name: v})


def builtin_populations() -> dict[str, str]:
    """Built-in population names and their one-line descriptions."""
    folder = resources.files("cllsim.trials").joinpath(*_BUILTIN)
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            data = yaml.safe_load(entry.read_text())
            out[entry.name.removesuffix(".yaml")] = str(data.get("description", "")).strip()
    return out


def builtin_population(name: str = "cll14") -> PopulationSpec:
    """A built-in population by name (``cll14``: CLL14's previously untreated patients with
    coexisting conditions, median age 72).

    Raises
    ------
    SpecError
        Unknown name (the message lists the known ones).
    """
    known = builtin_populations()
    if name not in known:
        raise SpecError(f"unknown population {name!r}; expected one of {', '.join(known)}")
    ref = resources.files("cllsim.trials").joinpath(*_BUILTIN).joinpath(f"{name}.yaml")
    try:
        return PopulationSpec.model_validate(yaml.safe_load(ref.read_text()))
    except ValidationError as err:  # a shipped file is broken: say which
        raise SpecError(f"built-in population {name!r}: {err}") from err


def draw_parameters(pop: PopulationSpec, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Draw ``n`` patients' parameters.

    Parameters
    ----------
    pop : PopulationSpec
    n : int
        Patients (>= 0).
    rng : numpy.random.Generator
        Parameters are drawn in :meth:`PopulationSpec.draw_order`, ``n`` values at a time.

    Returns
    -------
    pandas.DataFrame
        One row per patient, one column per dotted name (declaration order): float64 for
        numeric parameters, object (str) for categorical ones.
    """
    if n < 0:
        raise SpecError(f"n must be >= 0, got {n}")
    values = _draws(pop, n, rng)
    return pd.DataFrame({name: values[name] for name in pop.parameters}, index=pd.RangeIndex(n))


def draw_patient(pop: PopulationSpec, rng: np.random.Generator) -> dict[str, Any]:
    """One patient's parameters: row 0 of ``draw_parameters(pop, 1, rng)`` as a dict (dotted
    name -> float or str, declaration order), the same draws without building the table
    (0.9 -> 0.5 ms; a trial draws once per patient)."""
    values = _draws(pop, 1, rng)
    return {name: _plain(values[name][0]) for name in pop.parameters}


def _draws(pop: PopulationSpec, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    for name in pop.draw_order():
        dist = pop.parameters[name]
        mult = dist.multiplier(values, n)
        if mult is not None and np.any(~(mult > 0)):
            raise SpecError(
                f"parameter {name!r}: its multiplier (scale_by/factor_by) must be > 0, "
                f"got {float(mult[~(mult > 0)][0])}"
            )
        values[name] = draw_distribution(dist, n, rng, multiplier=mult)
    return values


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


def apply_parameters(base: Scenario, row: Mapping[str, Any]) -> Scenario:
    """A new validated scenario: ``base`` with the fields named in ``row`` set.

    Names under :data:`NON_SCENARIO_PREFIXES` (``mortality.*``, ``shared.*``) are skipped;
    any other name must address a scalar of the scenario (see :class:`PopulationSpec`).

    Raises
    ------
    SpecError
        An unknown name, or a value the scenario rejects (the message names both).
    """
    data = base.model_dump()
    for name, v in row.items():
        why = _resolve(name)
        if why is not None:
            raise SpecError(f"parameter {name!r}: {why}")
        if name.startswith(NON_SCENARIO_PREFIXES):
            continue
        parts = name.split(".")
        d = data
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        d[parts[-1]] = _plain(v)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        raise SpecError(
            f"parameters {dict((k, _plain(v)) for k, v in row.items() if k.startswith(loc))} "
            f"give an invalid scenario: {loc}: {e['msg']}, got {e.get('input')!r}"
        ) from err


_SPREAD = ("sigma", "cv")
_DIST_CLASSES = {
    c.model_fields["dist"].annotation.__args__[0]: c
    for c in (FixedDist, NormalDist, LogNormalDist, UniformDist, CategoricalDist)
}


def _settable(d: dict[str, Any]) -> list[str]:
    """Scalar fields of a distribution (as a dict) that an override may set."""
    cls = _DIST_CLASSES[d["dist"]]
    return [k for k in cls.model_fields if k not in ("dist", "p", "factor_by", "source", "tag")]


def with_overrides(pop: PopulationSpec, overrides: Mapping[str, Any]) -> PopulationSpec:
    """A new population with named population-level values replaced.

    Each key is ``<parameter>.<field>``: ``patient.kinetics.protection_lymph_node.median``,
    ``patient.drug_exposure.venetoclax.cv``, ``shared.microenvironment.value``,
    ``patient.ighv.p.unmutated`` (with two categories the other gets ``1 - value``),
    ``patient.kinetics.birth_lymph_node.factor_by.patient.ighv.unmutated``; or a bare
    parameter name with a whole distribution mapping (``{"dist": "fixed", "value": 1.0}``),
    which replaces or adds that parameter.  Setting ``sigma`` of a lognormal drops its
    ``cv`` and vice versa.

    Examples
    --------
    >>> pop = builtin_population("cll14")
    >>> new = with_overrides(pop, {"patient.kinetics.protection_lymph_node.median": 800.0})
    >>> new.parameters["patient.kinetics.protection_lymph_node"].median
    800.0

    Raises
    ------
    SpecError
        An unknown parameter or field, or a value the distribution rejects.
    """
    params = {k: v.model_dump(exclude_none=True) for k, v in pop.parameters.items()}
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            params[key] = dict(value)
            continue
        parts = key.split(".")
        name = next(
            (".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)
             if ".".join(parts[:i]) in params),
            None,
        )  # fmt: skip
        if name is None:
            raise SpecError(
                f"override {key!r}: no parameter of population {pop.name!r} is a prefix of it; "
                f"expected <parameter>.<field> with a parameter among {', '.join(params)}"
            )
        fields = parts[len(name.split(".")) :]
        d = params[name]
        value = _plain(value)
        if fields[0] == "p" and len(fields) == 2 and "p" in d:
            p = dict(d["p"])
            p[fields[1]] = value
            if len(p) == 2 and fields[1] in d["p"]:
                other = next(c for c in p if c != fields[1])
                p[other] = 1.0 - float(value)
            d["p"] = p
        elif fields[0] == "factor_by" and len(fields) >= 3:
            ref, cat = ".".join(fields[1:-1]), fields[-1]
            fb = {k: dict(v) for k, v in d.get("factor_by", {}).items()}
            fb.setdefault(ref, {})[cat] = value
            d["factor_by"] = fb
        elif len(fields) == 1 and fields[0] in _settable(d):
            if fields[0] in _SPREAD:
                for s in _SPREAD:
                    d.pop(s, None)
            d[fields[0]] = value
        else:
            raise SpecError(
                f"override {key!r}: {'.'.join(fields)!r} is not a settable field of "
                f"{name!r} ({d['dist']}); expected one of "
                f"{', '.join(_settable(d))}"
            )
    try:
        return PopulationSpec.model_validate(
            {"name": pop.name, "description": pop.description, "parameters": params,
             "mortality": pop.mortality.model_dump()}
        )  # fmt: skip
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        raise SpecError(
            f"overrides {dict(overrides)} give an invalid population: {loc}: {e['msg']}"
        ) from err
