"""Start-up costs of cllsim in a fresh process: import time and numba compilation.

Run as ``python bench/startup.py`` (``run.py`` does it twice with one ``NUMBA_CACHE_DIR``:
first on an empty cache, "cold", then on the cache the first process filled, "warm").  Prints
one JSON object on stdout:

* ``import_s``: ``import cllsim.engine`` (numpy, numba, pandas, the engine modules);
* per workload, the first call at a tiny size (``first_s``: numba compiles, or loads its
  cache, on first use) and a second identical call (``second_s``); ``first_s - second_s`` is
  the compilation (cold) or cache-load (warm) time;
* ``cache_hits``/``cache_misses``: numba's own count over every kernel in ``cllsim``
  (a warm process must show no misses);
* ``engine_sources``: a fingerprint of ``cllsim/engine/*.py`` (an edit between the two
  processes invalidates numba's cache, which would make "warm" a recompilation).
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

TINY = {"W1": 10, "W2": 10, "W3": 10, "W4": 2, "W4-types": 2}


def main() -> int:
    """Measure and print the JSON object."""
    t0 = time.perf_counter()
    import cllsim.engine  # noqa: F401

    import_s = time.perf_counter() - t0
    import workloads  # bench/ is sys.path[0] when run as a script

    calls = {}
    for key, n in TINY.items():
        fn = workloads.CLLSIM_RUNS[key]
        t0 = time.perf_counter()
        fn(n)
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        fn(n)
        second = time.perf_counter() - t0
        calls[key] = {"runs": n, "first_s": first, "second_s": second}
    hits, misses = numba_cache_counts()
    json.dump(
        {
            "import_s": import_s,
            "calls": calls,
            "cache_hits": hits,
            "cache_misses": misses,
            "engine_sources": engine_fingerprint(),
        },
        sys.stdout,
    )
    return 0


def numba_cache_counts() -> tuple[int, int]:
    """Cache hits and misses summed over every numba dispatcher in loaded cllsim modules."""
    from numba.core.registry import CPUDispatcher

    hits = misses = 0
    for name, mod in list(sys.modules.items()):
        if not name.startswith("cllsim"):
            continue
        for obj in vars(mod).values():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == name:
                hits += sum(obj.stats.cache_hits.values())
                misses += sum(obj.stats.cache_misses.values())
    return hits, misses


def engine_fingerprint() -> str:
    """sha256 (first 12 hex digits) of the engine's source files, in name order."""
    import cllsim.engine

    h = hashlib.sha256()
    for path in sorted(Path(cllsim.engine.__file__).parent.glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


if __name__ == "__main__":
    sys.exit(main())
