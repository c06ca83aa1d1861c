"""Result folders written all at once: an error never leaves a half-written result."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["write_folder"]


def write_folder(out: Path, names: Sequence[str], writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp)`` to write the files ``names`` into a temporary folder beside
    ``out``, then move them into ``out`` (created if missing).  On any error nothing of the
    new result reaches ``out`` and the temporary folder is removed."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".cllsim-", dir=out.parent))
    try:
        writer(tmp)
        out.mkdir(parents=True, exist_ok=True)
        for name in names:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
