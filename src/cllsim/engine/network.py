"""The engine's problem: a multi-type linear branching process as flat arrays.

A :class:`Network` holds no random state and no algorithm options (STYLE §2).  Types are
numbered ``0 .. n_types-1``; every rate is per cell per day except inflow (events per day).

Per cell of type *i*:

* **birth** ``birth[i]``: the cell divides into two cells of type *i*;
* **death** ``death[i]``: the cell disappears;
* **move** edge *e* = (*i*, *j*), rate ``move_rate[e]``: the cell becomes type *j*
  (phenotype switching, migration between compartments, conversion to a "sink" species);
* **spawn** edge *e* = (*i*, *j*), rate ``spawn_rate[e]``: the cell stays and a new cell of
  type *j* appears (a division in which one daughter mutates: rate = birth rate x probability);

and per type *j*, **inflow** ``inflow[j]`` events per day, each adding ``inflow_size[j]`` cells.

Rates may vary with time.  They are given at ``knots_days`` (``m`` knots) and interpolated
linearly between knots; before the first knot and after the last they are constant.  A knot
repeated twice is a jump: the first copy holds the value just before, the second the value
just after (use :func:`piecewise_constant` to build step functions).  With one knot the rates
are constant.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from cllsim.errors import SpecError

__all__ = [
    "CountEvent",
    "Network",
    "StopCondition",
    "piecewise_constant",
]

MAX_COUNT = 2**62  # counts above this would risk int64 overflow in a single step


def _readonly(a: NDArray) -> NDArray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def _rate_table(
    name: str, value: ArrayLike, m: int, width: int, label: Callable[[int], str]
) -> NDArray:
    """Return a float64[m, width] table from a scalar, a per-column vector or a full table.

    ``label(c)`` names column ``c`` in the error message.
    """
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full((m, width), float(arr))
    elif arr.ndim == 1:
        if arr.shape[0] != width:
            raise SpecError(f"Network: {name} has {arr.shape[0]} entries; expected {width}")
        arr = np.broadcast_to(arr, (m, width)).copy()
    elif arr.ndim == 2:
        if arr.shape != (m, width):
            raise SpecError(
                f"Network: {name} has shape {arr.shape}; expected ({m}, {width}) "
                "(one row per knot, one column per type or edge)"
            )
    else:
        raise SpecError(f"Network: {name} must be a scalar, a vector or a (knots x n) table")
    if arr.size and not (arr.min() >= 0.0 and arr.max() < np.inf):  # NaN fails both
        bad = ~np.isfinite(arr) | (arr < 0)
        k, c = (int(v) for v in np.argwhere(bad)[0])
        raise SpecError(
            f"Network: {name}[{label(c)}] must be a finite rate >= 0 per day, "
            f"got {float(arr[k, c])} at knot {k}"
        )
    return _readonly(arr)


def _edges(
    name: str, edges: Sequence[tuple[int | str, int | str]], index: dict[str, int], n: int
) -> NDArray:
    try:
        numbers = np.asarray(edges) if len(edges) else np.zeros((0, 2), dtype=np.int64)
    except (TypeError, ValueError):  # ragged: checked one by one below
        numbers = np.zeros((0, 0))
    if (  # pairs of type indices, all valid: checked at once
        numbers.dtype.kind in "iu"
        and numbers.shape == (len(edges), 2)
        and (numbers.size == 0 or (numbers.min() >= 0 and numbers.max() < n))
        and not np.any(numbers[:, 0] == numbers[:, 1])
    ):
        return _readonly(numbers.astype(np.int64))
    out = np.zeros((len(edges), 2), dtype=np.int64)
    for e, pair in enumerate(edges):
        if len(pair) != 2:
            raise SpecError(f"Network: {name}[{e}] must be a (source, target) pair, got {pair!r}")
        for side, ref in enumerate(pair):
            if isinstance(ref, str):
                if ref not in index:
                    raise SpecError(
                        f"Network: {name}[{e}] names unknown type {ref!r}; "
                        f"expected one of {', '.join(map(repr, index))}"
                    )
                out[e, side] = index[ref]
            else:
                i = int(ref)
                if not 0 <= i < n:
                    raise SpecError(f"Network: {name}[{e}] type index {i} is outside 0..{n - 1}")
                out[e, side] = i
        if out[e, 0] == out[e, 1]:
            raise SpecError(
                f"Network: {name}[{e}] goes from type {pair[0]!r} to itself; a move or spawn "
                "must change the type (use birth for i -> 2i)"
            )
    return _readonly(out)


@dataclass(frozen=True, eq=False)
class Network:
    """A multi-type linear branching process with piecewise-linear rates in time.

    Parameters
    ----------
    types : sequence of str
        Unique type names, ``n_types`` of them.
    initial : int64[n_types]
        Cells of each type at time 0; each in ``0 .. 2**62``.
    birth, death : float64 scalar, [n_types] or [n_knots, n_types]
        Per cell per day, >= 0.
    moves, spawns : sequence of (source, target)
        Edges by type name or index.
    move_rate, spawn_rate : float64 scalar, [n_edges] or [n_knots, n_edges]
        Per cell per day, >= 0.
    inflow : float64 scalar, [n_types] or [n_knots, n_types]
        Inflow events per day, >= 0.
    inflow_size : int64[n_types]
        Cells added per inflow event, >= 1.
    knots_days : float64[n_knots]
        Non-decreasing times of the rate rows (days); a time may appear at most twice (a
        jump).  Default: one knot at 0 (constant rates).

    Raises
    ------
    SpecError
        Naming the field, the bad value and what is allowed.

    Examples
    --------
    >>> net = Network(types=("S", "R"), initial=(1000, 0), birth=1.0, death=0.5,
    ...               spawns=[("S", "R")], spawn_rate=[1e-4])
    >>> net.n_types, net.spawn_edges.tolist()
    (2, [[0, 1]])
    """

    types: tuple[str, ...]
    initial: NDArray[np.int64]
    birth: NDArray[np.float64] = field(default=0.0)  # type: ignore[assignment]
    death: NDArray[np.float64] = field(default=0.0)  # type: ignore[assignment]
    moves: Sequence[tuple[int | str, int | str]] = ()
    move_rate: NDArray[np.float64] = field(default=())  # type: ignore[assignment]
    spawns: Sequence[tuple[int | str, int | str]] = ()
    spawn_rate: NDArray[np.float64] = field(default=())  # type: ignore[assignment]
    inflow: NDArray[np.float64] = field(default=0.0)  # type: ignore[assignment]
    inflow_size: NDArray[np.int64] = field(default=1)  # type: ignore[assignment]
    knots_days: NDArray[np.float64] = field(default=(0.0,))  # type: ignore[assignment]
    move_edges: NDArray[np.int64] = field(init=False)
    spawn_edges: NDArray[np.int64] = field(init=False)

    def __post_init__(self) -> None:
        setattr_ = object.__setattr__
        types = tuple(str(t) for t in self.types)
        if not types:
            raise SpecError("Network: types must name at least one type")
        if len(set(types)) != len(types):
            dup = next(t for t in types if types.count(t) > 1)
            raise SpecError(f"Network: type name {dup!r} appears more than once")
        setattr_(self, "types", types)
        n = len(types)
        index = {t: i for i, t in enumerate(types)}

        knots = np.atleast_1d(np.asarray(self.knots_days, dtype=np.float64))
        if knots.ndim != 1 or knots.size == 0 or not np.all(np.isfinite(knots)):
            raise SpecError(f"Network: knots_days must be finite times in days, got {knots!r}")
        if np.any(np.diff(knots) < 0):
            k = int(np.argmax(np.diff(knots) < 0))
            raise SpecError(
                f"Network: knots_days must be non-decreasing; knot {k + 1} "
                f"({knots[k + 1]}) comes before knot {k} ({knots[k]})"
            )
        if knots.size >= 3 and np.any((knots[2:] == knots[1:-1]) & (knots[1:-1] == knots[:-2])):
            raise SpecError("Network: a time may appear at most twice in knots_days (one jump)")
        setattr_(self, "knots_days", _readonly(knots))
        m = knots.size

        initial = np.asarray(self.initial)
        if initial.shape != (n,):
            raise SpecError(f"Network: initial has shape {initial.shape}; expected ({n},)")
        if not np.all(np.isfinite(initial.astype(np.float64))) or np.any(
            initial != np.round(initial)
        ):
            raise SpecError(
                f"Network: initial counts must be whole numbers, got {initial.tolist()}"
            )
        init_f = initial.astype(np.float64)
        for i in range(n):
            if not 0 <= init_f[i] <= MAX_COUNT:
                raise SpecError(
                    f"Network: initial[{types[i]}] must be a count in 0..2**62, got {initial[i]}"
                )
        setattr_(self, "initial", _readonly(initial.astype(np.int64)))

        setattr_(self, "birth", _rate_table("birth", self.birth, m, n, types.__getitem__))
        setattr_(self, "death", _rate_table("death", self.death, m, n, types.__getitem__))
        setattr_(self, "inflow", _rate_table("inflow", self.inflow, m, n, types.__getitem__))
        size = np.asarray(self.inflow_size)
        size = np.full(n, int(size)) if size.ndim == 0 else size
        if size.shape != (n,) or np.any(size < 1) or np.any(size != np.round(size)):
            raise SpecError(
                "Network: inflow_size must be whole numbers >= 1 per type, got "
                f"{np.asarray(self.inflow_size).tolist()}"
            )
        setattr_(self, "inflow_size", _readonly(size.astype(np.int64)))

        for kind in ("move", "spawn"):
            edges = _edges(f"{kind}s", list(getattr(self, f"{kind}s")), index, n)
            rate = getattr(self, f"{kind}_rate")
            if edges.shape[0] == 0:
                table = _readonly(np.zeros((m, 0)))
            else:
                table = _rate_table(
                    f"{kind}_rate",
                    rate,
                    m,
                    edges.shape[0],
                    lambda e, edges=edges: f"{types[edges[e, 0]]}->{types[edges[e, 1]]}",
                )
            setattr_(self, f"{kind}_edges", edges)
            setattr_(self, f"{kind}s", tuple((types[a], types[b]) for a, b in edges.tolist()))
            setattr_(self, f"{kind}_rate", table)

    @property
    def n_types(self) -> int:
        """Number of types."""
        return len(self.types)

    @property
    def has_inflow(self) -> bool:
        """True when any type can receive cells from outside at some time."""
        return bool(np.any(self.inflow > 0))

    def type_index(self, name: str) -> int:
        """Index of the type called ``name`` (SpecError naming the choices otherwise)."""
        try:
            return self.types.index(name)
        except ValueError:
            raise SpecError(
                f"Network: unknown type {name!r}; expected one of "
                f"{', '.join(map(repr, self.types))}"
            ) from None


@dataclass(frozen=True)
class CountEvent:
    """Change one type's count at a set time (a reset, a transplant, a sampling).

    Applied at ``time_days`` before the counts at that time are recorded.

    * ``"set"``: the count becomes ``value`` (a whole number >= 0);
    * ``"add"``: ``value`` cells are added (a whole number >= 0);
    * ``"scale"``: each cell is kept independently with probability ``value`` when
      ``value <= 1`` (a sampling or a cull); for ``value > 1`` each cell becomes
      ``floor(value)`` or ``floor(value) + 1`` cells so that the mean is ``count * value``.
    """

    time_days: float
    type: int | str
    action: Literal["set", "add", "scale"]
    value: float

    def __post_init__(self) -> None:
        if not np.isfinite(self.time_days) or self.time_days < 0:
            raise SpecError(f"CountEvent: time_days must be >= 0, got {self.time_days!r}")
        if self.action not in ("set", "add", "scale"):
            raise SpecError(
                f"CountEvent: action must be 'set', 'add' or 'scale', got {self.action!r}"
            )
        if not np.isfinite(self.value) or self.value < 0:
            raise SpecError(f"CountEvent: value must be >= 0, got {self.value!r}")
        if self.action in ("set", "add") and (
            self.value != round(self.value) or self.value > MAX_COUNT
        ):
            raise SpecError(
                f"CountEvent: {self.action} needs a whole number of cells in 0..2**62, "
                f"got {self.value!r}"
            )


ACTION_CODES = {"set": 0, "add": 1, "scale": 2}


@dataclass(frozen=True)
class StopCondition:
    """When a run stops early.

    Parameters
    ----------
    total_at_least : int or None
        Stop as soon as the summed count of ``types`` reaches this many cells (status
        ``CELL_LIMIT``).  Exact (the first event at which the total reaches it) when the
        population is below the exact-simulation threshold of the algorithm near the limit.
    types : tuple of str or int, or None
        Types summed for ``total_at_least``; None means all types.
    on_extinction : bool
        Stop (status ``EXTINCT``) when every type is at 0 and the network has no inflow.
    """

    total_at_least: int | None = None
    types: tuple[int | str, ...] | None = None
    on_extinction: bool = True

    def __post_init__(self) -> None:
        m = self.total_at_least
        if m is not None and (m != round(m) or not 1 <= m <= MAX_COUNT):
            raise SpecError(
                "StopCondition: total_at_least must be a whole number of cells in 1..2**62, "
                f"got {m!r}"
            )

    def mask(self, network: Network) -> NDArray[np.bool_]:
        """Boolean mask over the network's types that count toward ``total_at_least``."""
        if self.types is None:
            return np.ones(network.n_types, dtype=bool)
        out = np.zeros(network.n_types, dtype=bool)
        for t in self.types:
            out[network.type_index(t) if isinstance(t, str) else int(t)] = True
        return out


def piecewise_constant(
    breaks_days: ArrayLike, values: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Knots and rows for rates that are constant between breaks and jump at them.

    Parameters
    ----------
    breaks_days : float64[k]
        Increasing times at which the rates change; the first value applies from -inf.
    values : float64[k + 1, ...]
        ``values[0]`` before ``breaks_days[0]``, ``values[i]`` between break i-1 and i,
        ``values[k]`` after the last break.

    Returns
    -------
    knots_days : float64[2k] (each break twice) and rows : float64[2k, ...].
    For no breaks, one knot at 0 and ``values[0]``.
    """
    breaks = np.asarray(breaks_days, dtype=np.float64)
    vals = np.asarray(values, dtype=np.float64)
    if breaks.ndim != 1 or np.any(np.diff(breaks) <= 0):
        raise SpecError(
            f"piecewise_constant: breaks_days must be increasing, got {breaks.tolist()}"
        )
    if vals.shape[0] != breaks.size + 1:
        raise SpecError(
            f"piecewise_constant: need {breaks.size + 1} value rows for {breaks.size} breaks, "
            f"got {vals.shape[0]}"
        )
    if breaks.size == 0:
        return np.zeros(1), vals[:1].copy()
    knots = np.repeat(breaks, 2)
    rows = np.concatenate([vals[i : i + 2] for i in range(breaks.size)], axis=0)
    return knots, rows
