"""Count events at set times and stop checks, shared by the kernels (numba)."""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["apply_events", "reached_total"]


@nb.njit(cache=True)
def apply_events(rng, x, g, ev_ptr, ev_type, ev_action, ev_value):
    """Apply the count events attached to grid point ``g`` to ``x`` (int64[n_types]) in place.

    Actions: 0 set, 1 add, 2 scale (each cell kept with probability ``value`` when
    ``value <= 1``; otherwise each cell becomes ``floor(value)`` or ``floor(value) + 1``
    cells, mean ``value`` per cell).
    """
    for k in range(ev_ptr[g], ev_ptr[g + 1]):
        i = ev_type[k]
        v = ev_value[k]
        a = ev_action[k]
        if a == 0:
            x[i] = np.int64(v)
        elif a == 1:
            x[i] += np.int64(v)
        else:
            if v <= 1.0:
                x[i] = rng.binomial(x[i], v) if x[i] > 0 else 0
            else:
                f = np.floor(v)
                extra = rng.binomial(x[i], v - f) if x[i] > 0 else 0
                x[i] = x[i] * np.int64(f) + extra


@nb.njit(cache=True)
def reached_total(x, stop_total, stop_mask):
    """True when ``stop_total > 0`` and the masked sum of ``x`` is at least ``stop_total``."""
    if stop_total <= 0:
        return False
    s = 0
    for i in range(x.shape[0]):
        if stop_mask[i]:
            s += x[i]
    return s >= stop_total
