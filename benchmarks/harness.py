"""What every benchmark script shares: one provenance record, peak memory, a capped worker.

- :func:`provenance`: when, where and with what a run was made, in the one form the site
  renders (``portfolio.benchmarks.schema.PROVENANCE_FIELDS``): date, CPU and CPU count,
  Python and package versions, commit and uncommitted edits, the BLAS kernel that
  threadpoolctl found loaded, ``OPENBLAS_CORETYPE``/``OPENBLAS_L2_SIZE`` (which pick, and
  can slow, that kernel) and the command. A script adds its own fields by keyword.
- :class:`PeakRSS`: the peak resident memory of a process tree (this process by default)
  and its most threads, sampled in a background thread.
- :func:`run_capped`: run a command under a wall-clock limit and an address-space limit
  (``RLIMIT_AS``), sampling its tree, so that a worker that hangs or runs out of memory is
  reported instead of ending the run.
- :func:`check_results`: a report checked against its kind's JSON Schema, the files the
  site validates the committed results with (``portfolio/benchmarks/schemas``), before
  the script writes it; read as data, so this package never imports the site's.

The scripts import it as ``harness`` (their folder is on ``sys.path`` when they run).
It imports nothing heavier than the standard library at import time, so a worker in a
separate environment (PECOS's, with numpy < 2) can load its script.
"""

from __future__ import annotations

import os
import platform
import resource
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: The packages every provenance names (the site requires these three).
CORE_PACKAGES = ("numpy", "scipy", "numba")


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _git(*args: str) -> str | None:
    try:
        got = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return got.stdout


def git_commit() -> str:
    """The checked-out commit, or ``unknown`` outside a git checkout."""
    out = _git("rev-parse", "HEAD")
    return out.strip() if out else "unknown"


def git_dirty(paths: tuple[str, ...] = ("rushml", "benchmarks")) -> list[str]:
    """Tracked files under ``paths`` that differ from the commit (uncommitted edits)."""
    out = _git("status", "--porcelain", "--untracked-files=no", "--", *paths)
    return sorted(line[3:] for line in out.splitlines()) if out else []


def blas_info() -> list[dict]:
    """The BLAS libraries loaded in this process: API, version, CPU kernel, threads."""
    import threadpoolctl

    return [
        {k: info.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
        for info in threadpoolctl.threadpool_info()
        if info.get("user_api") == "blas"
    ]


def package_versions(names: tuple[str, ...] = CORE_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package (``None`` where it is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def provenance(
    script: str, argv: list[str], *, packages: tuple[str, ...] = CORE_PACKAGES, **extra
) -> dict:
    """Return the run's provenance: the fields the site renders, then ``extra``.

    Parameters
    ----------
    script : str
        The script's path from the repository root, e.g. ``benchmarks/bench_peers.py``.
    argv : list of str
        Its arguments, for the command shown beside the results.
    packages : tuple of str
        Packages whose versions are recorded (the core three always are).
    **extra
        The script's own fields (a tool's version, the load average).
    """
    names = tuple(dict.fromkeys((*CORE_PACKAGES, *packages)))
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "n_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "versions": package_versions(names),
        "git_commit": git_commit(),
        "git_dirty": git_dirty(),
        "blas": blas_info(),
        "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "command": " ".join(["python", script, *argv]),
        **extra,
    }


class PeakRSS:
    """Sample a process tree's resident memory and threads until the block ends.

    ``with PeakRSS() as mem: ...`` then ``mem.peak`` (bytes, the most the tree held at
    once, summed over its processes) and ``mem.threads`` (the most threads seen).

    Parameters
    ----------
    pid : int, optional
        The tree's root (default: this process).
    interval : float
        Seconds between samples.
    """

    def __init__(self, pid: int | None = None, interval: float = 0.05):
        self.pid = os.getpid() if pid is None else pid
        self.interval = interval
        self.peak = 0
        self.threads = 0

    def sample(self) -> bool:
        """Take one sample; False once the root process is gone."""
        import psutil

        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            return False
        rss = threads = 0
        for p in procs:
            try:
                rss += p.memory_info().rss
                threads += p.num_threads()
            except psutil.Error:
                pass
        self.peak = max(self.peak, rss)
        self.threads = max(self.threads, threads)
        return True

    def _watch(self) -> None:
        while not self._stop.is_set() and self.sample():
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self._stop = threading.Event()
        self.sample()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


@dataclass
class CappedRun:
    """What :func:`run_capped` saw of one command."""

    returncode: int
    timed_out: bool
    peak_rss_bytes: int
    threads_observed: int | None
    log: str


def _limit_memory(mem_cap: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_cap, mem_cap))

    return apply


def run_capped(cmd: list[str], *, env: dict, cwd: Path, time_cap: float, mem_cap: int) -> CappedRun:
    """Run ``cmd`` under ``time_cap`` seconds and ``mem_cap`` bytes of address space.

    The command runs in its own session, so a timed-out worker is killed with its
    children. Peak memory is the larger of the kernel's ``ru_maxrss`` of the worker and
    the sampled sum over its process tree (which catches helper processes).
    """
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=_limit_memory(mem_cap),
        start_new_session=True,
    )
    sampler = PeakRSS(proc.pid)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    with sampler:
        t0 = time.monotonic()
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > time_cap:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=5)
    # ru_maxrss is in KiB on Linux.
    return CappedRun(
        returncode=proc.returncode,
        timed_out=timed_out,
        peak_rss_bytes=int(max(usage.ru_maxrss * 1024, sampler.peak)),
        threads_observed=int(sampler.threads) or None,
        log=b"".join(chunks).decode(errors="replace"),
    )


def worker_env(threads: int) -> dict:
    """This process's environment with every thread pool capped at ``threads`` and the
    repository importable (for a worker subprocess)."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


SCHEMAS = ROOT / "portfolio" / "benchmarks" / "schemas"


def check_results(report: dict) -> None:
    """Refuse a report that its kind's schema rejects, listing where; kinds the site does
    not render (no schema file) pass."""
    import json

    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    path = SCHEMAS / f"{report.get('benchmark')}.schema.json"
    if not path.is_file():
        return
    registry = Registry().with_resources(
        (p.name, Resource.from_contents(json.loads(p.read_text()))) for p in SCHEMAS.glob("*.json")
    )
    validator = Draft202012Validator(json.loads(path.read_text()), registry=registry)
    errors = [
        f"{'/'.join(str(k) for k in e.absolute_path) or '(top)'}: {e.message}"
        for e in validator.iter_errors(report)
    ]
    if errors:
        raise SystemExit(f"the report does not match {path.name}:\n" + "\n".join(errors[:20]))


if __name__ == "__main__":  # pragma: no cover - a quick look at this machine's record
    import json

    print(json.dumps(provenance("benchmarks/harness.py", sys.argv[1:]), indent=2))
