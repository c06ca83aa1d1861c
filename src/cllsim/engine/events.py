"""Count events at set times and stop checks, shared by the kernels (numba)."""

from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["apply_events", "reached_total", "substep_end"]

_Z_MARGIN = 8.0  # standard deviations of margin kept between a leap and a stop total
_FORCE_EXACT_EVENTS = 64.0  # below this many expected events a leap is not worth its margin
_EXACT_PIECE_EVENTS = 1.0e4  # expected events per event-by-event piece near a stop total


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


@nb.njit(cache=True)
def substep_end(
    x, t, tb, b_hi, d_lo, d_hi, in_hi, isize, msrc, mdst, m_hi, ssrc, sdst, s_hi, mask, stop_total
):
    """End of the next sub-step under a stop at a total, and whether the counted types must
    be simulated event by event.

    The counted total ``T`` can grow at most at rate ``lam = max(b - d)`` over counted types
    plus the flow ``F`` into them; the leap is taken only while
    ``(T + F h) e^{lam h} + 8 sqrt(V h + 1) e^{lam h} < M`` (``V`` the event rate), so that
    reaching ``M`` inside a leap is an 8-sigma event.  When that margin shortens the step to
    fewer than 64 events, leaping saves nothing: the counted types go exact, in pieces of
    ~1e4 expected events.  (A population far below ``M`` leaps as it would without a stop,
    however few its events.)
    """
    n = x.shape[0]
    tm = 0.0
    lam = 0.0
    var = 0.0
    for i in range(n):
        if mask[i]:
            tm += x[i]
            var += x[i] * (b_hi[i] + d_hi[i])
            lam = max(lam, b_hi[i] - d_lo[i])
    flow = 0.0
    for e in range(msrc.shape[0]):
        if mask[mdst[e]] and not mask[msrc[e]]:
            flow += m_hi[e] * x[msrc[e]]
    for e in range(ssrc.shape[0]):
        if mask[sdst[e]]:
            flow += s_hi[e] * x[ssrc[e]]
    for j in range(n):
        if mask[j]:
            flow += in_hi[j] * isize[j]
    var += flow
    h = tb - t
    for _ in range(80):
        g = np.exp(lam * h)
        if (tm + flow * h) * g + _Z_MARGIN * np.sqrt(var * h + 1.0) * g < stop_total:
            break
        h *= 0.5
    if h < tb - t and var * h < _FORCE_EXACT_EVENTS:
        # event by event, in pieces of about _EXACT_PIECE_EVENTS expected events, so that a
        # population that turns away from the limit goes back to leaping
        return min(tb, t + _EXACT_PIECE_EVENTS / var), True
    return t + h, False
