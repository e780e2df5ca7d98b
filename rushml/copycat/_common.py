"""What the copycat modules share: parameter checks and the noisy expert episode.

Each check's error names the parameter and the value; both demonstration recorders play
their episodes with :func:`_noisy_episode`.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_range(value, name: str, minimum: int) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of integers, got {value!r}") from None
    if not minimum <= lo <= hi:
        raise ValueError(f"{name} must satisfy {minimum} <= low <= high, got {value!r}")
    return lo, hi


def _check_unit(value, name: str, *, low_open: bool) -> float:
    ok = isinstance(value, Real) and not isinstance(value, bool) and 0.0 <= value <= 1.0
    if ok and low_open and value == 0.0:
        ok = False
    if not ok:
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)


def _check_probability(value, name: str) -> float:
    if not isinstance(value, Real) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {value!r}")
    return float(value)


def _noisy_episode(env, state, expert, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Play one episode from ``state`` and return the action ids taken.

    Each step takes ``expert(state)``'s action, or with probability ``noise`` a uniformly
    random one (one ``rng.random()`` per step, then ``rng.integers`` when it is random).
    """
    actions, done = [], False
    while not done:
        if rng.random() < noise:
            action = int(rng.integers(env.n_actions))
        else:
            action = int(expert(state))
        state, _, terminated, truncated = env.step(action)
        actions.append(action)
        done = terminated or truncated
    return np.array(actions, dtype=np.int64)
