"""Results written all at once (a file, or a folder of files): an error never leaves a
half-written result."""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["write_file", "write_folder"]


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


def write_file(path: Path, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp)`` to write a temporary file beside ``path``, then move it into
    place; on any error the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        writer(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
