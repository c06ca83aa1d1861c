"""Make the benchmark harness in ``bench/`` importable (it is scripts, not a package).

Appended, not prepended: nothing in ``bench/`` may shadow an installed module for the other
tests of the session.
"""

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.append(str(BENCH))
