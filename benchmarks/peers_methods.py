"""The peer benchmark's methods: MACH's settings and the peers, and whether each can run here."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

#: The MACH setting run as method ``mach``: every label of a row, B sigmoid outputs per
#: repetition, weights pruned at 0.8 from their row's median and stored in float16. Chosen
#: on problems that are not reported (seed 100, K = 10^5, both laws; the reported runs use
#: seed 0): against R x B of 4x256 to 32x128 dense, thresholds 0.05 to 1.2, 1 to 5 epochs
#: and learning rates 1 to 3, it was the cheapest setting within 0.95x of omikuji's P@5 on
#: both laws (benchmarks/results/mach-tuning.md has the measurements).
MACH_RECOMMENDED = {
    "n_repetitions": 32,
    "n_buckets": 64,
    "n_epochs": 3,
    "learning_rate": 2.0,
    "loss": "sigmoid",
    "prune_threshold": 0.8,
    "weight_dtype": "float16",
}
_MACH_KEYS = {  # parameter: (type, short name in a method name)
    "n_epochs": (int, "e"),
    "learning_rate": (float, "lr"),
    "loss": (str, ""),
    "prune_threshold": (float, "p"),
    "weight_dtype": (str, ""),
}


def parse_mach_setting(text: str) -> dict:
    """``"8x512:n_epochs=3,prune_threshold=0.1"`` -> the method's table entry.

    Unnamed parameters take the recommended setting's values.
    """
    head, _, rest = text.partition(":")
    try:
        r, b = (int(v) for v in head.lower().split("x"))
    except ValueError:
        raise SystemExit(f"--mach {text!r}: expected RxB[:key=value,...], e.g. 8x512") from None
    params = {**MACH_RECOMMENDED, "n_repetitions": r, "n_buckets": b}
    name = f"mach-R{r}-B{b}"
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key not in _MACH_KEYS:
            raise SystemExit(
                f"--mach {text!r}: unknown parameter {key!r} (one of {list(_MACH_KEYS)})"
            )
        kind, short = _MACH_KEYS[key]
        params[key] = None if value == "none" else kind(value)
        name += f"-{short}{value}"
    return {"method": name, "family": "mach", "params": params}


def default_methods(mach_settings=()) -> list[dict]:
    """The method table: name, family and keyword parameters of each worker.

    ``mach`` (the recommended setting) first, then any ``mach_settings`` strings
    (see :func:`parse_mach_setting`), then the peers.
    """
    methods = [{"method": "mach", "family": "mach", "params": dict(MACH_RECOMMENDED)}]
    methods += [parse_mach_setting(t) for t in mach_settings]
    methods += [
        {
            "method": "omikuji",
            "family": "omikuji",
            "params": {"hyper_param": "default (Parabel-like)"},
        },
        {
            "method": "napkinxc-plt",
            "family": "napkinxc",
            "params": {"model": "PLT", "defaults": True},
        },
        {
            "method": "pecos-xrlinear",
            "family": "pecos",
            "params": {"model": "XLinearModel", "indexer": "PIFA + hierarchical 2-means"},
        },
    ]
    return methods


def unavailable_reason(family: str, pecos_venv: Path) -> str | None:
    """Why a family cannot run here, or None when it can (PECOS runs from ``pecos_venv``)."""
    if family == "mach":
        return None if importlib.util.find_spec("rushml.mach") else "rushml.mach is not importable"
    if family == "omikuji":
        return (
            None
            if importlib.util.find_spec("omikuji")
            else "omikuji is not installed (pip install -r benchmarks/requirements-peers.txt)"
        )
    if family == "napkinxc":
        return (
            None
            if importlib.util.find_spec("napkinxc")
            else "napkinxc is not installed (pip install -r benchmarks/requirements-peers.txt)"
        )
    if family == "pecos":
        py = pecos_venv / "bin" / "python"
        if not py.exists():
            return (
                "libpecos needs numpy < 2, which this environment does not have; "
                "run with --pecos-venv to build .venv-pecos from benchmarks/requirements-pecos.txt"
            )
        return None
    return f"unknown family {family!r}"


def worker_python(family: str, pecos_venv: Path) -> str:
    """The Python that runs a family's worker: PECOS's own environment, else this one."""
    return str(pecos_venv / "bin" / "python") if family == "pecos" else sys.executable


def make_pecos_venv(pecos_venv: Path, requirements: Path) -> None:
    """Create ``pecos_venv`` (numpy < 2) from ``requirements`` (requirements-pecos.txt)."""
    py = pecos_venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(pecos_venv)], check=True)
    # libpecos declares torch/transformers for its neural models; XR-Linear needs none of
    # them, so its own dependencies are pinned in the file and installed without resolving.
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "-r", str(requirements)],
        check=True,
    )
