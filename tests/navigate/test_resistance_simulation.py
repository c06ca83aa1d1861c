"""Cross-check of the Bozic 2013 eradication probability by simulation with the engine.

Monotherapy (n1 = n2 = 0, n12 = n): p_erad = p1_up * p1_down = exp(-M u n (1 - s/s')).  At
b = 1, d = 0.5 (s = 0.5), d' = 1.5 (s' = -0.5), u n = 1e-5 and M = 1e5, M u n = 1 and
p_erad = e^-2 = 0.1353.  The simulation grows a sensitive clone from one cell until the total
reaches M (exact stop; runs that go extinct first are discarded, as the formula conditions on
reaching M), then treats: sensitive cells switch to (b, d'), resistant ones keep (b, d), and
mutation at division goes on.  After 60 days of treatment the sensitive clone is extinct and
any surviving resistant lineage has grown far beyond the reach of chance extinction
(P(extinct | k cells) = 0.5^k); eradication = no cell left.
"""

import numpy as np

from cllsim.engine import Network, StopCondition, simulate_network
from cllsim.navigate import bozic_eradication

M, UN, B, D, D_TREATED = 100_000, 1e-5, 1.0, 0.5, 1.5


def test_monotherapy_eradication_probability_matches_simulation():
    """4,000 starts (about 2,000 reach M): |p_sim - p_erad| <= 4 binomial standard errors
    (SE ~ 0.0077)."""
    root = np.random.SeedSequence(2013)
    grow_seq, treat_seq = root.spawn(2)
    grow = Network(
        types=("S", "R"), initial=(1, 0), birth=[B * (1 - UN), B], death=D,
        spawns=[("S", "R")], spawn_rate=[B * UN],
    )  # fmt: skip
    g = simulate_network(
        grow, times_days=[0.0, 400.0], n_runs=4000, rng=grow_seq,
        stop=StopCondition(total_at_least=M),
    )  # fmt: skip
    starts = g.stop_counts[g.status == 2]
    assert np.all(starts.sum(axis=1) == M)
    left = []
    for x0, seq in zip(starts, treat_seq.spawn(len(starts)), strict=True):
        treat = Network(
            types=("S", "R"), initial=tuple(int(v) for v in x0), birth=[B * (1 - UN), B],
            death=[D_TREATED, D], spawns=[("S", "R")], spawn_rate=[B * UN],
        )  # fmt: skip
        left.append(simulate_network(treat, times_days=[60.0], rng=seq).counts[0, 0].sum())
    left = np.array(left)
    assert np.all((left == 0) | (left >= 100))  # no run is still undecided
    p_sim = float((left == 0).mean())
    se = np.sqrt(p_sim * (1 - p_sim) / left.size)
    formula = bozic_eradication(M, b=B, d=D, d_treated=D_TREATED, u=UN, n1=0, n2=0, n12=1)
    assert abs(formula.p_eradication - np.exp(-2)) < 1e-9
    assert abs(p_sim - formula.p_eradication) <= 4 * se, (p_sim, se)
