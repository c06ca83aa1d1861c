"""Network validation, events, stops, large counts, determinism and workers."""

import re

import numpy as np
import pytest

from cllsim.engine import (
    ALGORITHMS,
    CountEvent,
    ExactSSA,
    KendallLeap,
    Network,
    StopCondition,
    simulate_network,
)
from cllsim.engine.kendall import kendall_variance
from cllsim.errors import AlgorithmError, SpecError

ALG_IDS = [type(a).__name__ for a in ALGORITHMS]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"birth": -1.0}, "birth[X] must be a finite rate >= 0 per day, got -1.0"),
        ({"death": [0.1, float("nan")]}, "death[Y] must be a finite rate >= 0"),
        ({"moves": [("X", "Z")], "move_rate": [0.1]}, "unknown type 'Z'"),
        ({"spawns": [("X", "X")], "spawn_rate": [0.1]}, "goes from type 'X' to itself"),
        ({"initial": (1.5, 0)}, "whole numbers"),
        ({"initial": (-1, 0)}, "initial[X] must be a count"),
        ({"knots_days": [1.0, 0.0], "birth": [[0.1, 0.1], [0.2, 0.2]]}, "non-decreasing"),
        ({"inflow_size": 0}, "inflow_size must be whole numbers >= 1"),
    ],
)
def test_bad_network_names_field_and_value(kwargs, message):
    base = {"types": ("X", "Y"), "initial": (1, 0)}
    with pytest.raises(SpecError, match=re.escape(message)):
        Network(**{**base, **kwargs})


@pytest.mark.parametrize(
    ("edges", "message"),
    [
        ([(0, 1), (2, 2)], "moves[1] goes from type 2 to itself"),
        ([(0, 1), (1, 3)], "moves[1] type index 3 is outside 0..2"),
        ([(0, 1), (-1, 2)], "moves[1] type index -1 is outside 0..2"),
        ([(0, 1), (0, 1, 2)], "moves[1] must be a (source, target) pair"),
        ([(0, 1), (1, "W")], "moves[1] names unknown type 'W'"),
    ],
)
def test_bad_index_edges_are_named(edges, message):
    """Edges given as index pairs (checked at once) still name the first bad edge."""
    with pytest.raises(SpecError, match=re.escape(message)):
        Network(types=("X", "Y", "Z"), initial=(1, 0, 0), moves=edges, move_rate=0.1)


def test_index_edges_and_rate_labels():
    """numpy index pairs give the same network as names; a bad rate names its edge."""
    pairs = [(np.int64(0), np.int64(2)), (np.int64(2), np.int64(1))]
    by_index = Network(types=("X", "Y", "Z"), initial=(1, 0, 0), moves=pairs, move_rate=0.1)
    by_name = Network(
        types=("X", "Y", "Z"), initial=(1, 0, 0), moves=[("X", "Z"), ("Z", "Y")], move_rate=0.1
    )
    assert by_index.move_edges.tolist() == by_name.move_edges.tolist() == [[0, 2], [2, 1]]
    assert by_index.moves == by_name.moves == (("X", "Z"), ("Z", "Y"))
    with pytest.raises(SpecError, match=re.escape("move_rate[Z->Y] must be a finite rate >= 0")):
        Network(
            types=("X", "Y", "Z"),
            initial=(1, 0, 0),
            moves=pairs,
            move_rate=[[0.1, 0.2], [0.1, float("inf")]],
            knots_days=[0.0, 1.0],
        )


def test_bad_algorithm_options_and_arguments():
    with pytest.raises(AlgorithmError, match="max_step_days must be > 0"):
        KendallLeap(max_step_days=0)
    for bad in (-1, 2.5):
        with pytest.raises(AlgorithmError, match=r"batch_into must be an integer in 0\.\.1e9"):
            KendallLeap(batch_into=bad)  # type: ignore[arg-type]
    net = Network(types=("X",), initial=(10,), birth=0.1)
    with pytest.raises(SpecError, match="strictly increasing"):
        simulate_network(net, times_days=[1.0, 1.0])
    with pytest.raises(SpecError, match="n_runs must be a whole number >= 1"):
        simulate_network(net, times_days=[1.0], n_runs=0)
    with pytest.raises(AlgorithmError, match="meant for small networks"):
        simulate_network(
            Network(types=("X",), initial=(10**9,)), times_days=[1.0], algorithm=ExactSSA()
        )
    with pytest.raises(SpecError, match="action must be"):
        CountEvent(1.0, "X", "multiply", 2.0)  # type: ignore[arg-type]


def test_same_seed_same_numbers_different_seed_different_numbers():
    net = Network(
        types=("X", "Y"),
        initial=(50, 0),
        birth=0.5,
        death=0.4,
        spawns=[("X", "Y")],
        spawn_rate=[0.01],
    )
    a = simulate_network(net, times_days=np.arange(0, 20.0), n_runs=600, rng=42)
    b = simulate_network(net, times_days=np.arange(0, 20.0), n_runs=600, rng=42)
    c = simulate_network(net, times_days=np.arange(0, 20.0), n_runs=600, rng=43)
    assert np.array_equal(a.counts, b.counts)
    assert not np.array_equal(a.counts, c.counts)
    assert a.provenance["seed"]["entropy"] == 42


def test_results_do_not_depend_on_workers():
    """1 worker and 2 or 3 worker threads give identical counts (blocks own their streams)."""
    net = Network(types=("X",), initial=(100,), birth=0.1, death=0.11)
    one = simulate_network(net, times_days=np.arange(51.0), n_runs=700, rng=5, workers=1)
    two = simulate_network(net, times_days=np.arange(51.0), n_runs=700, rng=5, workers=2)
    three = simulate_network(net, times_days=np.arange(51.0), n_runs=700, rng=5, workers=3)
    assert np.array_equal(one.counts, two.counts)
    assert np.array_equal(one.counts, three.counts)


def test_huge_counts_without_overflow():
    """1e15 cells growing 10 years: no overflow (int64), mean within 4 SE of e^{(b-d)t}."""
    net = Network(types=("X",), initial=(10**15,), birth=0.0039, death=0.0018)
    res = simulate_network(net, times_days=[3650.0], n_runs=200, rng=1)
    x = res.counts[:, 0, 0].astype(float)
    mean = 1e15 * np.exp(0.0021 * 3650)
    assert np.all(res.counts > 0)
    var_one = kendall_variance(0.0039, 0.0018, 3650.0)
    assert abs(x.mean() - mean) < 4 * np.sqrt(1e15 * var_one / 200)


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=ALG_IDS)
def test_count_events_set_add_scale(algorithm):
    """A reset at day 2 holds exactly at the record of day 2 (events come before records);
    a 'scale 0.25' sampling keeps a Binomial(N, 0.25) share (mean within 4 SE)."""
    net = Network(types=("X",), initial=(400,), birth=0.0, death=0.0)
    ev = [
        CountEvent(2.0, "X", "set", 1000),
        CountEvent(3.0, "X", "scale", 0.25),
        CountEvent(4.0, 0, "add", 7),
    ]
    res = simulate_network(
        net, times_days=[1.0, 2.0, 3.0, 4.0], n_runs=2000, rng=3, events=ev, algorithm=algorithm
    )
    x = res.counts[:, :, 0]
    assert np.all(x[:, 0] == 400) and np.all(x[:, 1] == 1000)
    assert abs(x[:, 2].mean() - 250) < 4 * np.sqrt(1000 * 0.25 * 0.75 / 2000)
    assert np.array_equal(x[:, 3], x[:, 2] + 7)


@pytest.mark.parametrize("algorithm", ALGORITHMS, ids=ALG_IDS)
def test_extinction_stop_reports_when(algorithm):
    """Pure death at rate 1 from 3 cells: every run goes extinct, at the maximum of 3
    exponential lifetimes, mean 1 + 1/2 + 1/3 = 1.833 days (4 SE at n = 4,000, sd ~ 1.17).
    Records after the stop hold the stop counts (zeros)."""
    net = Network(types=("X",), initial=(3,), death=1.0)
    res = simulate_network(net, times_days=[1.0, 30.0], n_runs=4000, rng=8, algorithm=algorithm)
    assert np.all(res.status == 1)
    t = res.stop_time_days
    assert abs(t.mean() - 11 / 6) < 4 * 1.17 / np.sqrt(4000)
    assert np.all(res.counts[:, 1, 0] == 0)


def test_tidy_table():
    net = Network(types=("X", "Y"), initial=(5, 1))
    df = simulate_network(net, times_days=[0.0, 1.0], n_runs=3, rng=0).to_frame()
    assert list(df.columns) == ["run", "time_days", "type", "cells"]
    assert len(df) == 3 * 2 * 2
    assert df["cells"].dtype == np.int64
    assert df.loc[(df.run == 2) & (df.time_days == 1.0) & (df.type == "Y"), "cells"].item() == 1


def test_stop_total_with_subset_of_types():
    """Stop when the resistant type alone reaches 100 while the sensitive bulk is 1e9."""
    net = Network(
        types=("S", "R"),
        initial=(10**9, 0),
        birth=[0.5, 0.5],
        death=[0.6, 0.1],
        spawns=[("S", "R")],
        spawn_rate=[1e-8],
    )
    res = simulate_network(
        net,
        times_days=[0.0, 200.0],
        n_runs=50,
        rng=4,
        stop=StopCondition(total_at_least=100, types=("R",)),
    )
    hit = res.status == 2
    assert hit.mean() > 0.5
    assert np.all(res.stop_counts[hit, 1] == 100)


def test_first_stop_is_the_first_stopped_run_of_simulate_network_called_in_a_loop():
    """first_stop plans once and runs until one run stops at the total: the same run (counts
    at the stop, day) as calling simulate_network with the same Generator until one stops.
    From one cell dividing at 1.0 and dying at 0.8 a clone dies out with probability 0.8,
    so most seeds need several runs."""
    from cllsim.engine.simulate import first_stop

    net = Network(
        types=("F", "M"), initial=(1, 0), birth=[1.0, 1.2], death=[0.8, 0.8],
        spawns=[("F", "M")], spawn_rate=[1e-3],
    )  # fmt: skip
    stop = StopCondition(total_at_least=10_000)
    runs = []
    for seed in range(12):
        loop, n = np.random.default_rng(seed), 0
        while True:
            n += 1
            res = simulate_network(net, times_days=[0.0, 500.0], stop=stop, rng=loop)
            if res.status[0] == 2:
                break
        counts, day = first_stop(
            net, times_days=[0.0, 500.0], stop=stop, rng=np.random.default_rng(seed), tries=50
        )
        assert counts.tolist() == res.stop_counts[0].tolist() and day == res.stop_time_days[0]
        runs.append(n)
    assert max(runs) > 1  # extinct runs were skipped
    none = first_stop(
        net, times_days=[0.0, 500.0], stop=stop, rng=np.random.default_rng(3), tries=0
    )
    assert none is None
    with pytest.raises(SpecError, match="stop at a total"):
        first_stop(net, times_days=[0.0, 1.0], stop=StopCondition(), rng=loop, tries=1)


def test_a_distant_stop_total_leaves_the_run_as_without_it():
    """A stop total far above the population (1e12 against a few hundred cells) must not
    change how the run is simulated: same seed, same numbers as without the stop.  (The
    counted types used to go event by event whenever a step held fewer than 64 expected
    events, however far the limit: a venetoclax patient in deep remission took twice as
    long with the burden limit as without.)"""
    net = Network(
        types=("blood", "node"),
        initial=(200, 100),
        birth=[0.1, 0.3],
        death=[0.2, 0.1],
        moves=[("blood", "node"), ("node", "blood")],
        move_rate=[0.5, 0.3],
    )
    kw = {"times_days": [5.0, 10.0, 30.0], "n_runs": 50, "rng": 8,
          "algorithm": KendallLeap(exact_below=100)}  # fmt: skip
    free = simulate_network(net, **kw)
    stopped = simulate_network(net, stop=StopCondition(total_at_least=10**12), **kw)
    assert np.array_equal(free.counts, stopped.counts)
    assert np.all(stopped.status == 0)
