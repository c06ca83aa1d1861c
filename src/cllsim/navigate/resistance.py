"""Analytic resistance: pre-existing resistant cells and the Bozic 2013 eradication probability.

Closed forms for a linear birth-death population grown from one cell to size ``M`` with
mutation attached to division (each division gives a mutant daughter with probability
``u * n``), then treated.  No simulation; the formulas and their check values are in
``reference/kendall.md``, sections "Resistance present before treatment", "Escape during
therapy" and "Combination therapy".

Rates are per day; only their ratios enter: ``s = 1 - d/b`` is the survival probability of a
lineage before treatment (and of a fully resistant lineage during it), ``s' = 1 - d'/b'``
(negative) that of a sensitive lineage under treatment.

References
----------
.. [1] Iwasa Y, Nowak MA, Michor F, "Evolution of resistance during clonal expansion",
   Genetics 2006;172(4):2557-2566, doi:10.1534/genetics.105.049791.
.. [2] Bozic I, Reiter JG, Allen B, et al., "Evolutionary dynamics of cancer in response to
   targeted combination therapy", eLife 2013;2:e00747, doi:10.7554/eLife.00747.
.. [3] Komarova NL, Wodarz D, "Drug resistance in cancer: principles of emergence and
   prevention", PNAS 2005;102(27):9714-9719, doi:10.1073/pnas.0501870102.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cllsim.errors import SpecError

__all__ = [
    "BozicResult",
    "bozic_eradication",
    "expected_resistant_cells",
    "p_no_resistant_cell",
    "p_no_surviving_resistant_lineage",
    "p_resistant_present",
]


# --- validation ---------------------------------------------------------------------------


def _number(where: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SpecError(f"{where}: {name} must be a real number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise SpecError(f"{where}: {name} must be finite, got {value!r}")
    return number


def _check_size(where: str, M: object) -> float:
    size = _number(where, "M", M)
    if size < 1.0:
        raise SpecError(
            f"{where}: M must be >= 1 cell (population size at treatment start), got {M!r}"
        )
    return size


def _check_rates(where: str, b: object, d: object) -> tuple[float, float]:
    birth = _number(where, "b", b)
    death = _number(where, "d", d)
    if birth <= 0.0:
        raise SpecError(f"{where}: b must be > 0 per day (birth rate), got {b!r}")
    if death < 0.0:
        raise SpecError(f"{where}: d must be >= 0 per day (death rate), got {d!r}")
    if death >= birth:
        raise SpecError(
            f"{where}: d must be < b (the population must grow before treatment, "
            f"s = 1 - d/b > 0), got b = {b!r}, d = {d!r}"
        )
    return birth, death


def _check_probability(where: str, name: str, value: object) -> float:
    p = _number(where, name, value)
    if not 0.0 <= p <= 1.0:
        raise SpecError(f"{where}: {name} must be in [0, 1] (per division), got {value!r}")
    return p


def _check_count(where: str, name: str, value: object) -> float:
    n = _number(where, name, value)
    if n < 0.0:
        raise SpecError(f"{where}: {name} must be >= 0 (number of resistance sites), got {value!r}")
    return n


# --- shared closed-form pieces --------------------------------------------------------------


def _survival(b: float, d: float) -> float:
    """s = 1 - d/b, computed as (b - d)/b to keep its relative precision when d ~ b."""
    return (b - d) / b


def _log_s_over_one_minus_s(b: float, d: float) -> float:
    """ln(s)/(1 - s) with s = 1 - d/b; its limit -1 at d = 0, accurate for d << b and d ~ b."""
    x = d / b  # 1 - s
    if x == 0.0:
        return -1.0
    log_s = math.log1p(-x) if x < 0.5 else math.log(_survival(b, d))
    return log_s / x


def _log_growth(M: float, s: float) -> float:
    """ln(M s), the number of e-folds of the surviving population, clipped at 0.

    The Iwasa et al. approximations take the sensitive population to grow deterministically
    from 1/s cells to M; when M s <= 1 there is no such growth and the clipped value makes the
    two-step and count terms 0 instead of negative.
    """
    return max(math.log(M * s), 0.0)


# --- pre-existing resistance, one drug ------------------------------------------------------


def _log_p_no_resistant_cell(M: float, b: float, d: float, u_n: float) -> float:
    return M * u_n * _log_s_over_one_minus_s(b, d)


def p_no_resistant_cell(M: float, b: float, d: float, u_n: float) -> float:
    """Probability that a population grown from one cell to size M holds no resistant cell.

    ``exp(M u n ln(s) / (1 - s))`` with ``s = 1 - d/b``; ``exp(-M u n)`` when ``d = 0``.  The
    resistant mutant is neutral (same b, d) before treatment.

    Parameters
    ----------
    M : float
        Population size at treatment start, cells, >= 1.
    b : float
        Birth (division) rate, per day, > 0.
    d : float
        Death rate, per day, 0 <= d < b.
    u_n : float
        Probability that a division gives a resistant daughter (mutation rate per site times
        number of resistance sites), in [0, 1].

    Returns
    -------
    float
        The probability, in [0, 1].

    Raises
    ------
    SpecError
        If an argument is outside its range; the message names it, its value and the range.

    References
    ----------
    .. [1] Iwasa Y, Nowak MA, Michor F, Genetics 2006;172:2557, doi:10.1534/genetics.105.049791.
    .. [2] Bozic I et al., eLife 2013;2:e00747, doi:10.7554/eLife.00747 (p1).

    Examples
    --------
    >>> round(p_no_resistant_cell(1e4, 1.0, 0.5, 1e-4), 4)
    0.25
    """
    where = "p_no_resistant_cell"
    size = _check_size(where, M)
    birth, death = _check_rates(where, b, d)
    rate = _check_probability(where, "u_n", u_n)
    return math.exp(_log_p_no_resistant_cell(size, birth, death, rate))


def p_resistant_present(M: float, b: float, d: float, u_n: float) -> float:
    """Probability that at least one resistant cell exists at size M: ``1 - P(no resistant cell)``.

    Computed as ``-expm1(M u n ln(s)/(1 - s))``, so it keeps full relative precision when it
    is small (e.g. ``M u n = 1e-12``).

    Parameters
    ----------
    M : float
        Population size at treatment start, cells, >= 1.
    b : float
        Birth (division) rate, per day, > 0.
    d : float
        Death rate, per day, 0 <= d < b.
    u_n : float
        Probability that a division gives a resistant daughter, in [0, 1].

    Returns
    -------
    float
        The probability, in [0, 1].

    Raises
    ------
    SpecError
        If an argument is outside its range.

    References
    ----------
    .. [1] Iwasa Y, Nowak MA, Michor F, Genetics 2006;172:2557, doi:10.1534/genetics.105.049791.

    Examples
    --------
    >>> round(p_resistant_present(1e9, 1.0, 0.5, 1e-9), 4)
    0.75
    """
    where = "p_resistant_present"
    size = _check_size(where, M)
    birth, death = _check_rates(where, b, d)
    rate = _check_probability(where, "u_n", u_n)
    return -math.expm1(_log_p_no_resistant_cell(size, birth, death, rate))


def p_no_surviving_resistant_lineage(M: float, u_n: float) -> float:
    """Probability that no resistant lineage that will survive forever exists at size M.

    ``exp(-M u n)``: about ``M/s`` divisions make the population, each seeds a resistant
    lineage with probability ``u n``, and each such lineage survives with probability ``s``.
    Independent of b and d.

    Parameters
    ----------
    M : float
        Population size at treatment start, cells, >= 1.
    u_n : float
        Probability that a division gives a resistant daughter, in [0, 1].

    Returns
    -------
    float
        The probability, in [0, 1].

    Raises
    ------
    SpecError
        If an argument is outside its range.

    References
    ----------
    .. [1] Komarova NL, Wodarz D, PNAS 2005;102:9714, doi:10.1073/pnas.0501870102.
    .. [2] Bozic I et al., eLife 2013;2:e00747, doi:10.7554/eLife.00747 (p1 up).

    Examples
    --------
    >>> round(p_no_surviving_resistant_lineage(1e9, 1e-9), 4)
    0.3679
    """
    where = "p_no_surviving_resistant_lineage"
    size = _check_size(where, M)
    rate = _check_probability(where, "u_n", u_n)
    return math.exp(-size * rate)


def expected_resistant_cells(M: float, b: float, d: float, u_n: float) -> float:
    """Expected number of resistant cells at size M: ``M n mu`` with ``mu = (u/s) ln(M s)``.

    An approximation for ``M s >> 1`` (the sensitive population grows deterministically from
    ``1/s`` cells for ``ln(M s)/(b - d)`` days).  ``ln(M s)`` is clipped at 0, so the result is
    0 when ``M s <= 1``.  The distribution is heavy-tailed: the median is far below the mean.

    Parameters
    ----------
    M : float
        Population size at treatment start, cells, >= 1.
    b : float
        Birth (division) rate, per day, > 0.
    d : float
        Death rate, per day, 0 <= d < b.
    u_n : float
        Probability that a division gives a resistant daughter, in [0, 1].

    Returns
    -------
    float
        Expected resistant cells, >= 0.

    Raises
    ------
    SpecError
        If an argument is outside its range.

    References
    ----------
    .. [1] Iwasa Y, Nowak MA, Michor F, Genetics 2006;172:2557, doi:10.1534/genetics.105.049791.
    .. [2] Bozic I et al., eLife 2013;2:e00747, doi:10.7554/eLife.00747 (X with n12 = n).

    Examples
    --------
    >>> round(expected_resistant_cells(1e4, 1.0, 0.5, 1e-4), 2)
    17.03
    """
    where = "expected_resistant_cells"
    size = _check_size(where, M)
    birth, death = _check_rates(where, b, d)
    rate = _check_probability(where, "u_n", u_n)
    s = _survival(birth, death)
    return size * rate / s * _log_growth(size, s)


# --- combination therapy (Bozic et al. 2013) -----------------------------------------------


@dataclass(frozen=True, slots=True)
class BozicResult:
    """Eradication probability of simultaneous therapy and its parts (Bozic et al. 2013).

    Attributes
    ----------
    p_eradication : float
        Probability that treatment eradicates the population: the product of the four
        factors.
    p1_up, p1_down : float
        Probabilities that no surviving fully resistant lineage arises in one mutational step
        before (up) or during (down) treatment.
    p2_up, p2_down : float
        The same for two mutational steps.
    p_resistant_present : float
        Probability that at least one fully resistant cell (type 11: resistant to every drug
        given) exists at treatment start.
    expected_resistant_cells : float
        Expected number of fully resistant cells at treatment start.
    """

    p_eradication: float
    p1_up: float
    p1_down: float
    p2_up: float
    p2_down: float
    p_resistant_present: float
    expected_resistant_cells: float

    def to_json_dict(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict.

        Returns
        -------
        dict
            ``{"p_eradication": ..., "factors": {"p1_up": ..., "p1_down": ..., "p2_up": ...,
            "p2_down": ...}, "p_resistant_present": ..., "expected_resistant_cells": ...}``.
        """
        return {
            "p_eradication": self.p_eradication,
            "factors": {
                "p1_up": self.p1_up,
                "p1_down": self.p1_down,
                "p2_up": self.p2_up,
                "p2_down": self.p2_down,
            },
            "p_resistant_present": self.p_resistant_present,
            "expected_resistant_cells": self.expected_resistant_cells,
        }


def bozic_eradication(
    M: float,
    *,
    b: float,
    d: float,
    d_treated: float,
    b_treated: float | None = None,
    u: float,
    n1: float,
    n2: float,
    n12: float,
) -> BozicResult:
    """Probability that simultaneous two-drug (or one-drug) therapy eradicates a population.

    Types 00, 10, 01, 11 are resistant to neither drug, drug 1 only, drug 2 only, both.  A
    division of 00 gives a 10, 01 or 11 daughter with probability ``u n1``, ``u n2``,
    ``u n12``; of 10 a 11 daughter with ``u (n2 + n12)``; of 01 with ``u (n1 + n12)``.  All
    types divide at ``b`` and die at ``d`` until the population reaches ``M`` cells; then
    every type sensitive to at least one drug switches to ``(b_treated, d_treated)`` while
    type 11 keeps ``(b, d)``.  With ``s = 1 - d/b > 0`` and ``s' = 1 - d'/b' < 0``::

        p1_up   = exp(-M u n12)
        p1_down = exp(M u n12 s / s')
        p2_up   = exp{ M u^2 k [ n1 (n2 + n12) ln(1/(s M) + u (n2 + n12) k)
                               + n2 (n1 + n12) ln(1/(s M) + u (n1 + n12) k) ] },
                  k = (s' - s) / (s s')
        p2_down = exp(-M u^2 (2 n1 n2 + n12 (n1 + n2)) s / s'^2)
        p_eradication = p1_up p1_down p2_up p2_down

    Monotherapy with ``n`` resistance sites is ``n1 = n2 = 0``, ``n12 = n``: then the
    two-step factors are 1 and every quantity reduces to the one-drug functions of this
    module.

    The result also holds two quantities for the **fully resistant type 11** (for dual
    therapy a cell resistant to both drugs; for monotherapy a cell resistant to the drug) at
    treatment start:

    - ``p_resistant_present = 1 - p1 p2`` with ``p1 = exp(M u n12 ln(s)/(1 - s))`` (one-step)
      and ``p2 = exp[M u^2 (2 n1 n2 + n12 (n1 + n2)) ln(s) ln(M s) / (s (1 - s))]``
      (two-step), both from Bozic et al.; computed with ``expm1``.
    - ``expected_resistant_cells = M [n12 mu + (2 n1 n2 + n12 (n1 + n2)) mu^2 / 2]`` with
      ``mu = (u/s) ln(M s)``: the first term is Bozic's (and Iwasa's) one-step count; the
      second counts the two-step paths as in ``p2``.  Bozic et al. print the second-order
      coefficient as ``n1 n2 + n12 (n1 + n2 - n12)/2``, which differs by ``-n12^2 mu^2 / 2``,
      a term of the order the approximation neglects; the form used here is non-negative and
      reduces exactly to :func:`expected_resistant_cells` for monotherapy.

    ``ln(M s)`` is clipped at 0 (see :func:`expected_resistant_cells`).

    Parameters
    ----------
    M : float
        Population size at treatment start, cells, >= 1.
    b : float
        Birth rate of every type before treatment and of type 11 throughout, per day, > 0.
    d : float
        Death rate of every type before treatment and of type 11 throughout, per day,
        0 <= d < b.
    d_treated : float
        Death rate under treatment of types sensitive to at least one drug, per day, >= 0 and
        > ``b_treated``.
    b_treated : float, optional
        Birth rate under treatment of those types, per day, > 0.  Default: ``b``.
    u : float
        Point mutation probability per site per division, in [0, 1].
    n1, n2 : float
        Number of sites whose mutation confers resistance to drug 1 only, drug 2 only, >= 0.
    n12 : float
        Number of sites whose mutation confers resistance to both drugs, >= 0.  The total
        ``u (n1 + n2 + n12)`` must be <= 1.

    Returns
    -------
    BozicResult
        The eradication probability, its four factors, and the presence probability and
        expected count of fully resistant cells at treatment start.

    Raises
    ------
    SpecError
        If an argument is outside its range: ``b <= 0``, ``d < 0``, ``d >= b`` (no growth
        before treatment), ``s' >= 0`` (treatment does not make sensitive cells shrink),
        ``u`` or ``u (n1 + n2 + n12)`` outside [0, 1], a negative site count, or ``M < 1``.

    References
    ----------
    .. [1] Bozic I, Reiter JG, Allen B, et al., eLife 2013;2:e00747,
       doi:10.7554/eLife.00747 (equation 1 and the four factors; p1, p2 and X).
    .. [2] Iwasa Y, Nowak MA, Michor F, Genetics 2006;172:2557,
       doi:10.1534/genetics.105.049791.

    Examples
    --------
    >>> r = bozic_eradication(1e9, b=0.14, d=0.13, d_treated=0.17, u=1e-9,
    ...                       n1=50, n2=50, n12=1)
    >>> round(r.p_eradication, 3), round(r.p1_up, 4), round(r.p1_down, 4)
    (0.263, 0.3679, 0.7165)
    """
    where = "bozic_eradication"
    size = _check_size(where, M)
    birth, death = _check_rates(where, b, d)
    if b_treated is None:
        birth_t = birth
    else:
        birth_t = _number(where, "b_treated", b_treated)
        if birth_t <= 0.0:
            raise SpecError(
                f"{where}: b_treated must be > 0 per day (birth rate under "
                f"treatment), got {b_treated!r}"
            )
    death_t = _number(where, "d_treated", d_treated)
    if death_t < 0.0:
        raise SpecError(
            f"{where}: d_treated must be >= 0 per day (death rate under "
            f"treatment), got {d_treated!r}"
        )
    if death_t <= birth_t:
        raise SpecError(
            f"{where}: d_treated must be > b_treated (treatment must make sensitive cells "
            f"shrink, s' = 1 - d_treated/b_treated < 0), got b_treated = {birth_t!r}, "
            f"d_treated = {d_treated!r}"
        )
    rate = _check_probability(where, "u", u)
    sites1 = _check_count(where, "n1", n1)
    sites2 = _check_count(where, "n2", n2)
    sites12 = _check_count(where, "n12", n12)
    total = rate * (sites1 + sites2 + sites12)
    if total > 1.0:
        raise SpecError(
            f"{where}: u * (n1 + n2 + n12) must be <= 1 (probability that a "
            f"division gives a resistant daughter), got {total!r}"
        )

    s = _survival(birth, death)
    s_t = _survival(birth_t, death_t)  # < 0
    k = (s_t - s) / (s * s_t)  # > 0
    paths2 = 2.0 * sites1 * sites2 + sites12 * (sites1 + sites2)

    log_p1_up = -size * rate * sites12
    log_p1_down = size * rate * sites12 * s / s_t
    base = 1.0 / (s * size)
    log_p2_up = (
        size
        * rate
        * rate
        * k
        * (
            _xlog(sites1 * (sites2 + sites12), base + rate * (sites2 + sites12) * k)
            + _xlog(sites2 * (sites1 + sites12), base + rate * (sites1 + sites12) * k)
        )
    )
    log_p2_down = -size * rate * rate * paths2 * s / (s_t * s_t)

    log_s_ratio = _log_s_over_one_minus_s(birth, death)
    growth = _log_growth(size, s)
    log_p1 = size * rate * sites12 * log_s_ratio
    log_p2 = size * rate * rate * paths2 * log_s_ratio * growth / s
    mu = rate / s * growth

    return BozicResult(
        p_eradication=math.exp(log_p1_up + log_p1_down + log_p2_up + log_p2_down),
        p1_up=math.exp(log_p1_up),
        p1_down=math.exp(log_p1_down),
        p2_up=math.exp(log_p2_up),
        p2_down=math.exp(log_p2_down),
        p_resistant_present=-math.expm1(log_p1 + log_p2),
        expected_resistant_cells=size * (sites12 * mu + 0.5 * paths2 * mu * mu),
    )


def _xlog(weight: float, x: float) -> float:
    """weight * ln(x), taken as 0 when weight is 0 (monotherapy: no two-step paths)."""
    return 0.0 if weight == 0.0 else weight * math.log(x)
