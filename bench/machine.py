"""What machine and software a benchmark ran on (for BENCHMARKS.md)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["describe_machine", "load_average"]


def load_average() -> str:
    """The 1-minute load average (other processes share the cores; timings include them)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:  # pragma: no cover - not available
        return "n/a"


def _first_line(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return "not found"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0] if text else "not found"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                kib = int(line.split()[1])
                return f"{kib / 1024**2:.1f} GiB"
    except (OSError, ValueError):
        pass
    return "unknown"


def _os() -> str:
    pretty = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                pretty = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return f"{pretty or platform.system()} (kernel {platform.release()}, {platform.machine()})"


def _version(dist: str) -> str:
    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def _git(repo: Path) -> str:
    head = _first_line(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return f"{head}{' + uncommitted changes' if dirty else ''}"


def describe_machine(repo: Path) -> dict[str, str]:
    """CPU, cores, memory, OS, Python and the versions of the packages that matter."""
    try:
        cores = str(len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        cores = str(os.cpu_count())
    return {
        "CPU": _cpu_model(),
        "cores available": cores,
        "memory": _memory(),
        "OS": _os(),
        "Python": f"{platform.python_version()} ({sys.executable})",
        "cllsim": f"{_version('cllsim')} (git {_git(repo)})",
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "scipy": _version("scipy"),
        "gillespy2": _version("gillespy2"),
        "scons": _version("scons"),
        "g++": _first_line(["g++", "--version"]),
        "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", "(unset: beside the sources)"),
    }
