"""Emax/Hill effects, Bliss independence and per-type rate effects (cllsim.pkpd.pd)."""

from __future__ import annotations

import numpy as np
import pytest

from cllsim.errors import SpecError
from cllsim.pkpd.parameters import PD_DEFAULTS
from cllsim.pkpd.pd import bliss_independence, emax_effect, hill_fraction, rate_effects

EXACT = 1e-14  # these are closed forms: agreement to rounding


def test_hill_fraction_properties() -> None:
    """0 at no drug, 1/2 at EC50, -> 1 at high exposure, increasing, steeper for larger h,
    and equal to the textbook formula C^h / (EC50^h + C^h) where that does not overflow."""
    c = np.array([0.0, 0.5, 1.0, 2.0, 1e300])
    for h in (0.5, 1.0, 3.0):
        f = hill_fraction(c, 1.0, h)
        assert f[0] == 0.0 and f[2] == pytest.approx(0.5, abs=EXACT) and f[-1] == 1.0
        assert np.all(np.diff(f) > 0)
        assert f[1:4] == pytest.approx(c[1:4] ** h / (1.0 + c[1:4] ** h), rel=EXACT)
    assert hill_fraction(2.0, 1.0, 4.0) > hill_fraction(2.0, 1.0, 1.0)
    assert emax_effect(3.0, 0.2, 3.0, 2.0) == pytest.approx(0.1, rel=EXACT)


def test_hill_broadcasts_per_type_ec50() -> None:
    """A lymph-node type with EC50 x 1000 (Vogler 2009) needs 1000x the exposure."""
    ec50 = np.array([10.0, 10.0 * PD_DEFAULTS.lymph_node_bh3_mimetic_ec50_fold])
    f = hill_fraction(np.array([[10.0], [10_000.0]]), ec50, 2.0)
    assert f.shape == (2, 2)
    assert f[0, 0] == pytest.approx(0.5) and f[1, 1] == pytest.approx(0.5)
    assert f[0, 1] < 1e-5


def test_bliss_properties() -> None:
    """Identity 0, absorbing 1, commutative, associative, never below the largest effect."""
    f = np.array([0.2, 0.7, 0.4])
    assert bliss_independence([0.3, 0.0]) == pytest.approx(0.3, rel=EXACT)
    assert bliss_independence([0.3, 1.0]) == 1.0
    assert bliss_independence(f) == pytest.approx(bliss_independence(f[::-1]), rel=EXACT)
    pair = bliss_independence(f[:2])
    assert bliss_independence([pair, f[2]]) == pytest.approx(bliss_independence(f), rel=EXACT)
    assert bliss_independence(f) == pytest.approx(1 - 0.8 * 0.3 * 0.6, rel=EXACT)
    assert bliss_independence(f) >= f.max()
    assert bliss_independence(np.zeros((4, 0))).tolist() == [0.0] * 4  # no drugs: no effect


def test_added_hazards_are_bliss_on_kill_probabilities() -> None:
    """Summed death hazards kill over dt with the Bliss combination of each drug's kill."""
    x = np.array([[5.0, 30.0]])
    kmax = np.array([[0.5, 0.2]])
    ec50 = np.array([[4.0, 10.0]])
    death, _ = rate_effects(
        x,
        death_kmax_per_day=kmax,
        death_ec50=ec50,
        death_hill=1.5,
        birth_imax=0.0,
        birth_ic50=1.0,
        birth_hill=1.0,
    )
    dt = 0.3
    per_drug = 1.0 - np.exp(-emax_effect(x[0], kmax[0], ec50[0], 1.5) * dt)
    assert 1.0 - np.exp(-death[0, 0] * dt) == pytest.approx(bliss_independence(per_drug), rel=EXACT)


def test_rate_effects_shapes_and_values() -> None:
    """[n_times, n_drugs] exposures and [n_types, n_drugs] parameters give [n_times, n_types]."""
    x = np.array([[0.0, 0.0], [1.0, 0.9], [100.0, 0.99]])  # venetoclax ng/mL, BTK occupancy
    kmax = np.array([[0.3, 0.02], [0.3, 0.0]])  # blood type, lymph-node type
    ec50 = np.array([[1.0, 0.5], [1000.0, 0.5]])
    imax = np.array([[0.0, 0.9], [0.0, 0.9]])
    death, birth = rate_effects(
        x,
        death_kmax_per_day=kmax,
        death_ec50=ec50,
        death_hill=1.0,
        birth_imax=imax,
        birth_ic50=[1.0, 0.8],
        birth_hill=4.0,
    )
    assert death.shape == birth.shape == (3, 2)
    assert death[0].tolist() == [0.0, 0.0] and birth[0].tolist() == [1.0, 1.0]
    assert death[1, 0] == pytest.approx(0.15 + 0.02 * 0.9 / 1.4, rel=EXACT)
    assert death[1, 1] == pytest.approx(0.3 * 1.0 / 1001.0, rel=EXACT)
    h = 0.99**4 / (0.8**4 + 0.99**4)
    assert birth[2, 0] == pytest.approx(1.0 - 0.9 * h, rel=EXACT)
    assert np.all((birth >= 0) & (birth <= 1))


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"death_ec50": [[1.0, 0.0]]}, r"death_ec50\[0, 1\] must be > 0, got 0\.0"),
        ({"death_kmax_per_day": [[-0.1, 0.0]]}, r"death_kmax_per_day\[0, 0\] must be >= 0"),
        ({"birth_imax": [[0.0, 1.5]]}, r"birth_imax\[0, 1\] must be in \[0, 1\], got 1\.5"),
        ({"birth_hill": [[1.0, np.nan]]}, r"birth_hill\[0, 1\] must be finite, got nan"),
        ({"death_hill": [1.0, 1.0, 1.0]}, r"death_hill has shape \(3,\); expected"),
        ({"exposures": [[1.0, -2.0]]}, r"exposures\[0, 1\] must be finite and >= 0, got -2\.0"),
        ({"exposures": [1.0, 2.0]}, r"exposures must be \(n_times, n_drugs\), got \(2,\)"),
    ],
)
def test_rate_effects_errors_name_array_index_and_value(update: dict, message: str) -> None:
    args = {
        "exposures": [[1.0, 1.0]],
        "death_kmax_per_day": 0.1,
        "death_ec50": 1.0,
        "death_hill": 1.0,
        "birth_imax": 0.5,
        "birth_ic50": 1.0,
        "birth_hill": 1.0,
    } | update
    exposures = args.pop("exposures")
    with pytest.raises(SpecError, match=message):
        rate_effects(exposures, **args)
