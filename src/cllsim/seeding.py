"""One root ``SeedSequence`` per run of cllsim, streams derived from it by spawn keys.

Scientific Python SPEC 7: public entry points accept ``int | SeedSequence | Generator | None``
and convert it here, once.  Parallel work never uses ``seed + i``: block *i* gets the child
``SeedSequence(entropy, spawn_key=root.spawn_key + (i,))``, which is what ``root.spawn`` would
hand out as its *i*-th child, so any block's stream can be rebuilt on its own (a resumed trial,
a different number of workers) and results depend only on the block index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["RngLike", "child_generator", "child_sequence", "root_sequence", "seed_provenance"]

RngLike = int | np.random.SeedSequence | np.random.Generator | None


def root_sequence(rng: RngLike) -> np.random.SeedSequence:
    """Return the root ``SeedSequence`` for ``rng``.

    ``None`` draws fresh OS entropy (recorded in the result's provenance so the run can be
    replayed); an ``int`` or ``SeedSequence`` is used as is; a ``Generator`` contributes one
    child of its own seed sequence (the generator's ``spawn``), so passing the same Generator
    twice gives two different, reproducible roots.
    """
    if isinstance(rng, np.random.SeedSequence):
        return rng
    if isinstance(rng, np.random.Generator):
        return rng.bit_generator.seed_seq.spawn(1)[0]  # type: ignore[union-attr]
    if rng is None or isinstance(rng, int | np.integer):
        if rng is not None and int(rng) < 0:
            raise ValueError(f"seed must be a non-negative integer, got {rng}")
        return np.random.SeedSequence(None if rng is None else int(rng))
    raise TypeError(
        f"rng must be an int, numpy SeedSequence, numpy Generator or None, got {type(rng).__name__}"
    )


def child_sequence(root: np.random.SeedSequence, index: int) -> np.random.SeedSequence:
    """The ``index``-th child of ``root`` (equal to ``root.spawn(index + 1)[index]``)."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, int(index)))


def child_generator(root: np.random.SeedSequence, index: int) -> np.random.Generator:
    """A PCG64 Generator on the ``index``-th child stream of ``root``."""
    return np.random.Generator(np.random.PCG64(child_sequence(root, index)))


def seed_provenance(root: np.random.SeedSequence) -> dict[str, Any]:
    """What must be recorded to replay a run: the entropy and the spawn key."""
    entropy = root.entropy
    return {
        "entropy": int(entropy) if isinstance(entropy, int | np.integer) else list(entropy),
        "spawn_key": [int(k) for k in root.spawn_key],
    }
