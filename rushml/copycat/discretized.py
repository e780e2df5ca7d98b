"""Gymnasium tasks with box observations cut into a grid of states, and an expert recorder."""

from __future__ import annotations

import numpy as np

from ._common import _check_positive_int, _check_probability, _noisy_episode


class DiscretizedEnv:
    """A Gymnasium environment with a box observation, seen as integer states.

    Each observation dimension is cut into equal bins between ``low`` and
    ``high`` (values outside fall into the end bins); the state is the index of
    the observation's cell in that grid. Episodes are cut off after
    ``max_steps`` steps. Every termination counts as reaching the goal, as in
    the classic-control tasks where the episode ends only at the goal.

    Parameters
    ----------
    env : str or gymnasium.Env
        An environment id (made with ``gymnasium.make`` and stepped without its
        wrappers, for speed; the step limit then comes from its spec) or an
        environment object (stepped as given).
    bins : int or sequence of int, default=16
        Bins per observation dimension (each ``>= 1``).
    low, high : sequence of float or None, default=None
        Bounds of the grid; default: the observation space's bounds, which must
        then be finite.
    max_steps : int or None, default=None
        Steps per episode (``>= 1``); default: the environment's registered limit.
    sparse_reward : bool, default=False
        If true, the environment's rewards are replaced by 1 at termination and
        0 otherwise.

    Attributes
    ----------
    env : gymnasium.Env
        The environment that is stepped.
    n_states : int
        Product of ``bins``.
    n_actions : int
        Size of the discrete action space.
    observation : ndarray
        The latest raw observation.
    reached_goal : bool
        Whether the last step terminated the episode.
    """

    def __init__(self, env, *, bins=16, low=None, high=None, max_steps=None, sparse_reward=False):
        if isinstance(env, str):
            import gymnasium

            made = gymnasium.make(env)
            limit = made.spec.max_episode_steps
            env = made.unwrapped
        else:
            limit = getattr(getattr(env, "spec", None), "max_episode_steps", None)
        self.env = env
        space = env.observation_space
        if not hasattr(env.action_space, "n"):
            raise ValueError(f"env must have a discrete action space, got {env.action_space}")
        self.n_actions = int(env.action_space.n)
        dim = int(np.prod(space.shape))
        self.low = np.asarray(space.low if low is None else low, dtype=np.float64).ravel()
        self.high = np.asarray(space.high if high is None else high, dtype=np.float64).ravel()
        if self.low.shape != (dim,) or self.high.shape != (dim,):
            raise ValueError(f"low and high must have {dim} values, one per observation dimension")
        if not (np.all(np.isfinite(self.low)) and np.all(np.isfinite(self.high))):
            raise ValueError("low and high must be finite; pass them for unbounded observations")
        if np.any(self.high <= self.low):
            raise ValueError(
                f"high must exceed low in every dimension, got {self.low}, {self.high}"
            )
        self.bins = np.broadcast_to(np.asarray(bins), (dim,)).astype(np.int64)
        if np.any(self.bins < 1) or not np.all(np.asarray(bins) == np.round(bins)):
            raise ValueError(f"bins must be positive integers, got {bins!r}")
        max_steps = limit if max_steps is None else max_steps
        if max_steps is None:
            raise ValueError("max_steps is required: the environment has no registered step limit")
        self.max_steps = _check_positive_int(max_steps, "max_steps")
        self.sparse_reward = bool(sparse_reward)
        self.n_states = int(np.prod(self.bins))
        scale = self.bins / (self.high - self.low)
        self._grid = (self.low.tolist(), scale.tolist(), self.bins.tolist())
        self._t = 0
        self.observation = None
        self.reached_goal = False

    def state_of(self, observation) -> int:
        """Index of the grid cell holding ``observation`` (row-major over the dimensions)."""
        # Plain floats: this runs once per environment step, where NumPy calls dominate.
        state = 0
        values = np.asarray(observation, dtype=np.float64).ravel().tolist()
        for x, low, scale, n in zip(
            values, self._grid[0], self._grid[1], self._grid[2], strict=True
        ):
            cell = int((x - low) * scale)  # truncation = floor here: below 0 is clipped anyway
            state = state * n + (0 if cell < 0 else n - 1 if cell >= n else cell)
        return state

    def reset(self, seed=None) -> int:
        """Start an episode (seeding the environment if ``seed`` is given); returns the state."""
        self.observation, _ = self.env.reset(seed=seed)
        self._t = 0
        self.reached_goal = False
        return self.state_of(self.observation)

    def step(self, action: int) -> tuple[int, float, bool, bool]:
        """Take one action; returns ``(state, reward, terminated, truncated)``."""
        self.observation, reward, terminated, truncated, _ = self.env.step(int(action))
        self._t += 1
        truncated = bool(truncated) or (not terminated and self._t >= self.max_steps)
        self.reached_goal = bool(terminated)
        if self.sparse_reward:
            reward = 1.0 if terminated else 0.0
        return self.state_of(self.observation), float(reward), bool(terminated), truncated


def record_demonstrations(
    env, policy, n_demonstrations: int, *, noise: float = 0.0, random_state=None
) -> list[np.ndarray]:
    """Episodes of a hand-written expert ``policy`` in a :class:`DiscretizedEnv`.

    Parameters
    ----------
    env : DiscretizedEnv
    policy : callable
        Maps the raw observation (``env.observation``) to an action id.
    n_demonstrations : int
        Episodes to record (``>= 1``).
    noise : float, default=0.0
        Probability in ``[0, 1]`` of a uniformly random action instead.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the noise and of the environment's first reset.

    Returns
    -------
    list of ndarray of shape (n_steps,), dtype int64
        The action ids of each episode.
    """
    n_demonstrations = _check_positive_int(n_demonstrations, "n_demonstrations")
    noise = _check_probability(noise, "noise")
    rng = np.random.default_rng(random_state)
    demos = []
    for i in range(n_demonstrations):
        state = env.reset(seed=int(rng.integers(0, 2**31 - 1)) if i == 0 else None)
        demos.append(_noisy_episode(env, state, lambda _: policy(env.observation), noise, rng))
    return demos
