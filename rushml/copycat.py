"""Be a Copycat: explore with the action sequences that experts repeat.

When reward is sparse, an agent that explores one random action at a time
rarely strings together the long, specific sequence that earns it. The idea
re-implemented here is to mine the action sequences that occur most often in a
few expert demonstrations (frequent n-grams of actions) and to offer each of
them to the agent as one extra action, a *macro-action*. The agent then explores
in expert-shaped chunks, which can reach the reward in far fewer episodes.

The module's parts:

* mining: :func:`count_action_ngrams` and :func:`mine_action_sequences`;
* a deterministic sparse-reward grid world, :class:`GridWorld`, with a
  generator of long winding corridors (:func:`make_serpentine_world`) and a
  shortest-path expert (:func:`expert_demonstrations`);
* Gymnasium tasks with box observations cut into a grid of states,
  :class:`DiscretizedEnv`, and a recorder of a hand-written expert's episodes
  (:func:`record_demonstrations`);
* the learner: :class:`MacroQLearning`, tabular SMDP Q-learning whose action
  set is the primitive actions plus any macro-actions (no macros: the plain
  Q-learning baseline), with the one-step update exposed as
  :func:`smdp_q_update`;
* :func:`run_trials`, which trains agents over several seeds, and
  :func:`learning_curve`, which averages their returns with a bootstrap band.

References
----------
T. Medini and A. Shrivastava, "Be a Copycat: Uncharted Rewards by Mimicking
Expert Action Sequences", Deep Reinforcement Learning Workshop at NeurIPS 2019.

R. S. Sutton, D. Precup and S. Singh, "Between MDPs and semi-MDPs: a framework
for temporal abstraction in reinforcement learning", Artificial Intelligence
112, 1999 (the SMDP Q-learning update used for macro-actions).
"""

from __future__ import annotations

from collections import deque
from numbers import Integral, Real

import numpy as np
from numba import njit

__all__ = [
    "ACTION_NAMES",
    "DiscretizedEnv",
    "GridWorld",
    "MacroQLearning",
    "count_action_ngrams",
    "expert_demonstrations",
    "learning_curve",
    "make_serpentine_world",
    "mine_action_sequences",
    "record_demonstrations",
    "run_trials",
    "smdp_q_update",
]

#: Letters of the four grid actions, indexed by action id: up, right, down, left.
ACTION_NAMES = "URDL"

# Row and column offsets of the four grid actions, in ACTION_NAMES order.
_DROW = np.array([-1, 0, 1, 0], dtype=np.int64)
_DCOL = np.array([0, 1, 0, -1], dtype=np.int64)

# Cell codes of a GridWorld.
FLOOR, WALL, GOAL, LAVA = 0, 1, 2, 3
_CELL_CODES = {".": FLOOR, "S": FLOOR, "#": WALL, "G": GOAL, "~": LAVA}


# -- Action-sequence mining ---------------------------------------------------------


def _as_demonstrations(demonstrations) -> list[np.ndarray]:
    """Validate demonstrations and return them as a list of 1-D int64 arrays."""
    if isinstance(demonstrations, np.ndarray) and demonstrations.ndim == 1:
        raise ValueError(
            "demonstrations must be a sequence of action sequences (one per "
            "demonstration), got a single 1-D array; wrap it in a list"
        )
    try:
        demos = list(demonstrations)
    except TypeError:
        raise TypeError(
            "demonstrations must be a sequence of action sequences, "
            f"got {type(demonstrations).__name__}"
        ) from None
    if len(demos) == 0:
        raise ValueError("demonstrations is empty: need at least one demonstration")
    out = []
    for i, demo in enumerate(demos):
        arr = np.asarray(demo)
        if arr.ndim != 1:
            raise ValueError(
                f"demonstration {i} must be a 1-D sequence of action ids, got shape {arr.shape}"
            )
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            if not (np.issubdtype(arr.dtype, np.floating) and np.all(arr == np.round(arr))):
                raise ValueError(
                    f"demonstration {i} must hold integer action ids, got dtype {arr.dtype}"
                )
        arr = arr.astype(np.int64)
        if arr.size and arr.min() < 0:
            raise ValueError(
                f"demonstration {i} holds a negative action id ({int(arr.min())}); "
                "action ids must be >= 0"
            )
        out.append(arr)
    if all(d.size == 0 for d in out):
        raise ValueError("demonstrations is empty: every demonstration has zero actions")
    return out


def _check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def count_action_ngrams(demonstrations, length: int) -> tuple[np.ndarray, np.ndarray]:
    """Count every contiguous run of ``length`` actions in the demonstrations.

    Windows overlap (``R R R`` holds two ``R R``) and never cross from one
    demonstration into the next; demonstrations shorter than ``length`` add
    nothing.

    Parameters
    ----------
    demonstrations : sequence of sequences of int
        One sequence of non-negative action ids per demonstration; lengths may differ.
    length : int
        Length ``n`` of the n-grams (``>= 1``).

    Returns
    -------
    ngrams : ndarray of shape (n_unique, length), dtype int64
        The distinct n-grams, most frequent first; ties keep the order in which
        the n-grams first occur (demonstration by demonstration).
    counts : ndarray of shape (n_unique,), dtype int64
        How often each n-gram occurs.

    Raises
    ------
    ValueError
        If ``demonstrations`` is empty, holds a negative or non-integer action,
        ``length`` is not a positive integer, or no demonstration has
        ``length`` actions.
    """
    demos = _as_demonstrations(demonstrations)
    length = _check_positive_int(length, "length")
    windows = [
        np.lib.stride_tricks.sliding_window_view(d, length) for d in demos if d.size >= length
    ]
    if not windows:
        longest = max(d.size for d in demos)
        raise ValueError(
            f"length={length} is longer than every demonstration (the longest has "
            f"{longest} actions)"
        )
    stacked = np.concatenate(windows, axis=0)
    ngrams, first, counts = np.unique(stacked, axis=0, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))  # by count, descending; then first occurrence
    return ngrams[order], counts[order].astype(np.int64)


def mine_action_sequences(
    demonstrations, *, length: int, n_sequences: int, min_count: int = 2
) -> list[tuple[int, ...]]:
    """Return the ``n_sequences`` most frequent action n-grams of the demonstrations.

    These are the candidate macro-actions of the copycat agent: the stretches
    of behaviour that the expert repeats most often.

    Parameters
    ----------
    demonstrations : sequence of sequences of int
        One sequence of non-negative action ids per demonstration.
    length : int
        Actions per mined sequence (``>= 1``).
    n_sequences : int
        How many sequences to return at most (``>= 1``); fewer come back when
        fewer distinct n-grams reach ``min_count``.
    min_count : int, default=2
        Occurrences an n-gram needs to count as frequent (``>= 1``); the default
        drops sequences seen only once.

    Returns
    -------
    list of tuple of int
        The mined sequences, most frequent first (ties: first occurrence first).

    Raises
    ------
    ValueError
        For empty demonstrations, a ``length``, ``n_sequences`` or ``min_count``
        that is not a positive integer, or any error of :func:`count_action_ngrams`.

    See Also
    --------
    count_action_ngrams : all n-grams with their counts.

    References
    ----------
    T. Medini and A. Shrivastava, "Be a Copycat: Uncharted Rewards by Mimicking
    Expert Action Sequences", Deep RL Workshop at NeurIPS 2019.

    Examples
    --------
    >>> mine_action_sequences([[1, 1, 1, 0, 1, 1, 1]], length=3, n_sequences=2)
    [(1, 1, 1)]
    """
    n_sequences = _check_positive_int(n_sequences, "n_sequences")
    min_count = _check_positive_int(min_count, "min_count")
    ngrams, counts = count_action_ngrams(demonstrations, length)
    keep = counts >= min_count
    return [tuple(int(a) for a in row) for row in ngrams[keep][:n_sequences]]


# -- Grid world ----------------------------------------------------------------------


@njit(cache=True)
def _grid_step(cells, row, col, action):
    """One primitive move: (row, col, reward, terminated); walls and edges block."""
    r = row + _DROW[action]
    c = col + _DCOL[action]
    if r < 0 or r >= cells.shape[0] or c < 0 or c >= cells.shape[1] or cells[r, c] == WALL:
        r, c = row, col
    cell = cells[r, c]
    if cell == GOAL:
        return r, c, 1.0, True
    if cell == LAVA:
        return r, c, 0.0, True
    return r, c, 0.0, False


class GridWorld:
    """A deterministic grid world with one sparse reward, drawn from a text map.

    The agent starts on ``S`` and moves up, right, down or left (actions 0 to 3,
    see :data:`ACTION_NAMES`). Moving into a wall or off the map leaves it in
    place. Entering a goal pays 1 and ends the episode; entering lava ends it
    with nothing; every other step pays 0. An episode is cut off (truncated,
    not terminated) after ``max_steps`` primitive steps.

    Parameters
    ----------
    layout : str or sequence of str
        The map, one string per row (or one string with a row per line), all of
        equal length: ``#`` wall, ``.`` floor, ``S`` start (exactly one),
        ``G`` goal (at least one, reachable from ``S``), ``~`` lava.
    max_steps : int, default=200
        Primitive steps before an episode is truncated (``>= 1``).

    Attributes
    ----------
    cells : ndarray of shape (height, width), dtype int8
        Cell codes: 0 floor, 1 wall, 2 goal, 3 lava.
    start : tuple of int
        ``(row, col)`` of the start.
    n_states : int
        ``height * width``; a state is ``row * width + col``.
    n_actions : int
        4.
    reached_goal : bool
        Whether the last step entered a goal (set by :meth:`step`).
    """

    n_actions = 4

    def __init__(self, layout, *, max_steps: int = 200):
        rows = layout.strip("\n").splitlines() if isinstance(layout, str) else list(layout)
        if not rows or any(len(r) != len(rows[0]) for r in rows) or len(rows[0]) == 0:
            raise ValueError("layout must be non-empty rows of equal length")
        bad = sorted({ch for r in rows for ch in r} - set(_CELL_CODES))
        if bad:
            raise ValueError(f"layout holds unknown cell characters {bad}; use any of '.S#G~'")
        starts = [(i, j) for i, r in enumerate(rows) for j, ch in enumerate(r) if ch == "S"]
        if len(starts) != 1:
            raise ValueError(f"layout must have exactly one start 'S', found {len(starts)}")
        self.max_steps = _check_positive_int(max_steps, "max_steps")
        self.layout = tuple(rows)
        self.cells = np.array([[_CELL_CODES[ch] for ch in r] for r in rows], dtype=np.int8)
        self.start = starts[0]
        if not np.any(self.cells == GOAL):
            raise ValueError("layout has no goal 'G': the reward would be unreachable")
        if not np.isfinite(self.distance_to_goal()[self.start]):
            raise ValueError("no path from the start 'S' to a goal 'G' avoiding walls and lava")
        self._state = None
        self._t = 0

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)`` of the map."""
        return self.cells.shape

    @property
    def n_states(self) -> int:
        """Number of states, ``height * width``."""
        return int(self.cells.size)

    def state_of(self, row: int, col: int) -> int:
        """State index ``row * width + col`` of a cell."""
        return int(row) * self.cells.shape[1] + int(col)

    def cell_of(self, state: int) -> tuple[int, int]:
        """``(row, col)`` of a state index."""
        return divmod(int(state), self.cells.shape[1])

    def distance_to_goal(self) -> np.ndarray:
        """Fewest steps from every cell to the nearest goal, avoiding lava.

        Returns
        -------
        ndarray of shape (height, width), dtype float64
            ``inf`` for walls, lava and cells cut off from every goal.
        """
        dist = np.full(self.cells.shape, np.inf)
        queue = deque(zip(*np.nonzero(self.cells == GOAL), strict=True))
        for cell in queue:
            dist[cell] = 0.0
        height, width = self.cells.shape
        while queue:
            r, c = queue.popleft()
            for dr, dc in zip(_DROW, _DCOL, strict=True):
                nr, nc = r + dr, c + dc
                if 0 <= nr < height and 0 <= nc < width and self.cells[nr, nc] == FLOOR:
                    if dist[nr, nc] == np.inf:
                        dist[nr, nc] = dist[r, c] + 1
                        queue.append((nr, nc))
        return dist

    def reset(self, seed=None) -> int:
        """Start an episode; returns the start state (``seed`` is ignored: no randomness)."""
        self._state = self.start
        self._t = 0
        self.reached_goal = False
        return self.state_of(*self.start)

    def step(self, action: int) -> tuple[int, float, bool, bool]:
        """Take one primitive action.

        Returns
        -------
        state : int
        reward : float
        terminated : bool
            A goal or lava was entered.
        truncated : bool
            ``max_steps`` steps have been taken without termination.
        """
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        if not 0 <= int(action) < self.n_actions:
            raise ValueError(f"action must be in 0..3, got {action!r}")
        r, c, reward, terminated = _grid_step(self.cells, *self._state, int(action))
        self._state = (int(r), int(c))
        self.reached_goal = bool(self.cells[r, c] == GOAL)
        self._t += 1
        truncated = (not terminated) and self._t >= self.max_steps
        if terminated or truncated:
            state, self._state = self.state_of(r, c), None
            return state, float(reward), bool(terminated), bool(truncated)
        return self.state_of(r, c), float(reward), False, False


def make_serpentine_world(
    n_runs: int = 5,
    *,
    run_length=(6, 10),
    rise=(2, 3),
    max_steps: int = 400,
    random_state=None,
) -> GridWorld:
    """Build a long winding one-cell corridor with the goal at its far end.

    The corridor runs right, climbs, runs left, climbs, and so on, for
    ``n_runs`` horizontal runs whose lengths (and climbs) are drawn at random.
    Walls surround it, so the only way to the reward is one long specific
    sequence of actions, made of long straight stretches.

    Parameters
    ----------
    n_runs : int, default=5
        Horizontal runs (``>= 1``).
    run_length : tuple of int, default=(6, 10)
        Inclusive range ``(low, high)`` of cells per horizontal run, ``1 <= low <= high``.
    rise : tuple of int, default=(2, 3)
        Inclusive range of rows climbed between runs, ``2 <= low <= high`` (at
        least 2 keeps consecutive runs apart).
    max_steps : int, default=400
        Episode length limit of the returned world.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the run lengths and climbs.

    Returns
    -------
    GridWorld
    """
    n_runs = _check_positive_int(n_runs, "n_runs")
    lo, hi = _check_range(run_length, "run_length", 1)
    rlo, rhi = _check_range(rise, "rise", 2)
    rng = np.random.default_rng(random_state)
    runs = rng.integers(lo, hi + 1, size=n_runs)
    rises = rng.integers(rlo, rhi + 1, size=max(n_runs - 1, 0))
    # Column where each run ends, relative to the start column 0.
    ends = np.cumsum(runs * np.where(np.arange(n_runs) % 2 == 0, 1, -1))
    col0 = 1 - min(0, int(ends.min()))
    width = col0 + max(0, int(ends.max())) + 2
    height = int(rises.sum()) + 3
    grid = np.full((height, width), "#")
    row, col = height - 2, col0
    grid[row, col] = "S"
    for i in range(n_runs):
        step = 1 if i % 2 == 0 else -1
        for _ in range(runs[i]):
            col += step
            grid[row, col] = "."
        if i < n_runs - 1:
            for _ in range(rises[i]):
                row -= 1
                grid[row, col] = "."
    grid[row, col] = "G"
    return GridWorld(["".join(r) for r in grid], max_steps=max_steps)


def _check_range(value, name: str, minimum: int) -> tuple[int, int]:
    try:
        lo, hi = (int(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high) of integers, got {value!r}") from None
    if not minimum <= lo <= hi:
        raise ValueError(f"{name} must satisfy {minimum} <= low <= high, got {value!r}")
    return lo, hi


def expert_demonstrations(
    world: GridWorld, n_demonstrations: int, *, noise: float = 0.0, random_state=None
) -> list[np.ndarray]:
    """Episodes of a shortest-path expert, optionally noisy.

    The expert moves to a neighbour that is one step closer to a goal (the
    first such action in ``ACTION_NAMES`` order); with probability ``noise``
    it takes a uniformly random action instead, then carries on from wherever
    it landed. An episode ends at a goal, in lava or after ``max_steps`` steps.

    Parameters
    ----------
    world : GridWorld
    n_demonstrations : int
        Episodes to record (``>= 1``).
    noise : float, default=0.0
        Probability of a random action at each step, in ``[0, 1]``.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the noise.

    Returns
    -------
    list of ndarray of shape (n_steps,), dtype int64
        The action ids of each episode.
    """
    n_demonstrations = _check_positive_int(n_demonstrations, "n_demonstrations")
    if not isinstance(noise, Real) or not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be a probability in [0, 1], got {noise!r}")
    rng = np.random.default_rng(random_state)
    padded = np.pad(world.distance_to_goal(), 1, constant_values=np.inf)
    demos = []
    for _ in range(n_demonstrations):
        actions = []
        state, done = world.reset(), False
        while not done:
            r, c = world.cell_of(state)
            if rng.random() < noise:
                action = int(rng.integers(world.n_actions))
            else:
                # Distance to a goal from each neighbour (walls, lava, edges: inf).
                action = int(np.argmin(padded[r + 1 + _DROW, c + 1 + _DCOL]))
            state, _, terminated, truncated = world.step(action)
            actions.append(action)
            done = terminated or truncated
        demos.append(np.array(actions, dtype=np.int64))
    return demos


# -- Gymnasium environments ----------------------------------------------------------


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
    if not isinstance(noise, Real) or not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be a probability in [0, 1], got {noise!r}")
    rng = np.random.default_rng(random_state)
    demos = []
    for i in range(n_demonstrations):
        env.reset(seed=int(rng.integers(0, 2**31 - 1)) if i == 0 else None)
        actions, done = [], False
        while not done:
            if rng.random() < noise:
                action = int(rng.integers(env.n_actions))
            else:
                action = int(policy(env.observation))
            _, _, terminated, truncated = env.step(action)
            actions.append(action)
            done = terminated or truncated
        demos.append(np.array(actions, dtype=np.int64))
    return demos


# -- SMDP Q-learning with macro-actions --------------------------------------------------


@njit(cache=True)
def _smdp_update(
    q, state, option, discounted_return, duration, next_state, terminated, alpha, gamma
):
    """SMDP Q-learning update of one (macro-)action; returns the new value.

    Q(s, m) += alpha * [R + gamma**k * max_a Q(s', a) - Q(s, m)], with
    R = r_1 + gamma r_2 + ... + gamma**(k-1) r_k over the k executed steps and
    no bootstrap term when the episode terminated.
    """
    target = discounted_return
    if not terminated:
        best = q[next_state, 0]
        for j in range(1, q.shape[1]):
            if q[next_state, j] > best:
                best = q[next_state, j]
        target += gamma**duration * best
    q[state, option] += alpha * (target - q[state, option])
    return q[state, option]


@njit(cache=True)
def _run_episode(
    q, cells, start_row, start_col, options, option_len, max_steps, alpha, gamma, epsilon, uniforms
):
    """Play and learn from one episode; returns (return, steps, reached goal).

    Each decision reads two uniforms from ``uniforms[d]``: the first against
    ``epsilon`` (explore or exploit), the second to pick the option (uniform over
    all options, or uniform among the tied greedy ones).
    """
    width = cells.shape[1]
    n_options = q.shape[1]
    row, col = start_row, start_col
    state = row * width + col
    t = 0
    total = 0.0
    reached = False
    d = 0
    while t < max_steps:
        u_explore, u_pick = uniforms[d, 0], uniforms[d, 1]
        d += 1
        if u_explore < epsilon:
            option = min(int(u_pick * n_options), n_options - 1)
        else:
            best = q[state, 0]
            for j in range(1, n_options):
                if q[state, j] > best:
                    best = q[state, j]
            n_ties = 0
            for j in range(n_options):
                if q[state, j] == best:
                    n_ties += 1
            k = min(int(u_pick * n_ties), n_ties - 1)
            option = -1
            for j in range(n_options):
                if q[state, j] == best:
                    if k == 0:
                        option = j
                        break
                    k -= 1
        # Execute the option's primitive actions, aborting when the episode ends.
        discounted = 0.0
        discount = 1.0
        duration = 0
        terminated = False
        for i in range(option_len[option]):
            row, col, reward, terminated = _grid_step(cells, row, col, options[option, i])
            discounted += discount * reward
            discount *= gamma
            duration += 1
            t += 1
            total += reward
            if terminated or t >= max_steps:
                break
        next_state = row * width + col
        _smdp_update(q, state, option, discounted, duration, next_state, terminated, alpha, gamma)
        state = next_state
        if terminated:
            reached = cells[row, col] == GOAL
            break
    return total, t, reached


def smdp_q_update(
    q_table,
    state: int,
    option: int,
    rewards,
    next_state: int,
    *,
    terminated: bool,
    learning_rate: float,
    discount: float,
) -> float:
    """Apply the SMDP Q-learning update of one executed (macro-)action, in place.

    For an option ``m`` that ran ``k = len(rewards)`` primitive steps from ``s``
    to ``s'``::

        Q(s, m) += alpha * [r_1 + gamma r_2 + ... + gamma^(k-1) r_k
                            + gamma^k max_a Q(s', a) - Q(s, m)]

    where the ``gamma^k max_a Q(s', a)`` term is dropped when the episode
    terminated inside the option (the abort-on-termination rule). A primitive
    action is the case ``k = 1``: the ordinary Q-learning update.

    Parameters
    ----------
    q_table : ndarray of shape (n_states, n_options), dtype float64
        Updated in place.
    state, option, next_state : int
        Row and column of the updated entry; row bootstrapped from.
    rewards : sequence of float
        The ``k >= 1`` rewards collected while the option ran.
    terminated : bool
        Whether the episode ended in ``next_state``.
    learning_rate : float
        ``alpha`` in ``(0, 1]``.
    discount : float
        ``gamma`` in ``[0, 1]``.

    Returns
    -------
    float
        The new ``Q(state, option)``.
    """
    q = np.asarray(q_table)
    if q.dtype != np.float64 or q.ndim != 2:
        raise ValueError("q_table must be a 2-D float64 array (n_states, n_options)")
    rewards = np.asarray(rewards, dtype=np.float64).ravel()
    if rewards.size == 0:
        raise ValueError("rewards must hold at least one reward (an option runs >= 1 step)")
    _check_unit(learning_rate, "learning_rate", low_open=True)
    _check_unit(discount, "discount", low_open=False)
    discounted = float(np.sum(rewards * discount ** np.arange(rewards.size)))
    return float(
        _smdp_update(
            q,
            int(state),
            int(option),
            discounted,
            rewards.size,
            int(next_state),
            bool(terminated),
            float(learning_rate),
            float(discount),
        )
    )


def _check_unit(value, name: str, *, low_open: bool) -> float:
    ok = isinstance(value, Real) and not isinstance(value, bool) and 0.0 <= value <= 1.0
    if ok and low_open and value == 0.0:
        ok = False
    if not ok:
        interval = "(0, 1]" if low_open else "[0, 1]"
        raise ValueError(f"{name} must be a number in {interval}, got {value!r}")
    return float(value)


class MacroQLearning:
    """Tabular Q-learning over primitive actions plus macro-actions.

    With ``macros=()`` this is plain epsilon-greedy Q-learning, the baseline.
    With the sequences mined from expert demonstrations it is the copycat
    agent: each macro is one more column of the Q-table, chosen like any
    action, run step by step to its end (or until the episode ends, which
    aborts it) and learnt with the SMDP update of :func:`smdp_q_update`, so its
    reward is discounted over the steps it took.

    Greedy ties are broken uniformly at random, so with ``q_init=0`` and a
    reward only at the goal the agent explores uniformly over its options until
    it first sees the reward.

    Parameters
    ----------
    macros : sequence of sequences of int, default=()
        Macro-actions, each a non-empty sequence of primitive action ids; they
        get option ids ``n_actions, n_actions + 1, ...`` after the primitives.
    n_episodes : int, default=300
        Training episodes (``>= 1``).
    learning_rate : float, default=0.5
        Step size ``alpha`` in ``(0, 1]``.
    discount : float, default=0.99
        ``gamma`` in ``[0, 1]``, per primitive step.
    epsilon : float, default=0.1
        Probability in ``[0, 1]`` of a uniformly random option at each decision.
    q_init : float, default=0.0
        Initial value of every Q-table entry.
    random_state : int, numpy.random.Generator or None, default=None
        Seed of exploration and tie-breaking, resolved once in :meth:`fit`.

    Attributes
    ----------
    options_ : tuple of tuple of int
        Every option as a sequence of primitive actions: primitives first.
    q_table_ : ndarray of shape (n_states, n_options)
        Learnt action values.
    episode_returns_ : ndarray of shape (n_episodes,)
        Undiscounted return of each training episode.
    episode_steps_ : ndarray of shape (n_episodes,)
        Primitive steps of each training episode.
    first_reward_episode_ : int or None
        1-based index of the first episode that reached the goal; ``None`` if none did.

    References
    ----------
    T. Medini and A. Shrivastava, "Be a Copycat: Uncharted Rewards by Mimicking
    Expert Action Sequences", Deep RL Workshop at NeurIPS 2019.
    """

    def __init__(
        self,
        *,
        macros=(),
        n_episodes: int = 300,
        learning_rate: float = 0.5,
        discount: float = 0.99,
        epsilon: float = 0.1,
        q_init: float = 0.0,
        random_state=None,
    ):
        self.macros = macros
        self.n_episodes = n_episodes
        self.learning_rate = learning_rate
        self.discount = discount
        self.epsilon = epsilon
        self.q_init = q_init
        self.random_state = random_state

    def _validate(self, world) -> tuple[tuple[int, ...], ...]:
        """Check every parameter against ``world``; return the option sequences."""
        missing = [
            a
            for a in ("n_states", "n_actions", "max_steps", "reset", "step")
            if not hasattr(world, a)
        ]
        if missing:
            raise TypeError(
                f"world must be a GridWorld, DiscretizedEnv or alike; {type(world).__name__} "
                f"lacks {', '.join(missing)}"
            )
        _check_positive_int(self.n_episodes, "n_episodes")
        _check_unit(self.learning_rate, "learning_rate", low_open=True)
        _check_unit(self.discount, "discount", low_open=False)
        _check_unit(self.epsilon, "epsilon", low_open=False)
        if not isinstance(self.q_init, Real) or not np.isfinite(self.q_init):
            raise ValueError(f"q_init must be a finite number, got {self.q_init!r}")
        try:
            macros = [tuple(m) for m in self.macros]
        except TypeError:
            raise ValueError(
                f"macros must be a sequence of action sequences, got {self.macros!r}"
            ) from None
        for m in macros:
            if len(m) == 0 or not all(
                isinstance(a, Integral) and 0 <= a < world.n_actions for a in m
            ):
                raise ValueError(
                    "macros must be non-empty sequences of action ids in "
                    f"0..{world.n_actions - 1}, got {m!r}"
                )
        primitives = tuple((a,) for a in range(world.n_actions))
        return primitives + tuple(tuple(int(a) for a in m) for m in macros)

    def fit(self, world) -> MacroQLearning:
        """Learn from ``n_episodes`` episodes in ``world``.

        A :class:`GridWorld` runs in a compiled loop; any other environment with
        integer states (such as :class:`DiscretizedEnv`) runs step by step in
        Python, with the same decisions and updates.

        Parameters
        ----------
        world : GridWorld or DiscretizedEnv
            Or any object with ``n_states``, ``n_actions``, ``max_steps``,
            ``reset(seed) -> state`` and ``step(action) -> (state, reward,
            terminated, truncated)``; an optional ``reached_goal`` attribute
            tells a goal from another termination (default: every termination
            counts as reaching the goal).

        Returns
        -------
        self
        """
        options = self._validate(world)
        rng = np.random.default_rng(self.random_state)
        env_seed = int(rng.integers(0, 2**31 - 1))  # seeds the environment's first reset
        q = np.full((world.n_states, len(options)), float(self.q_init))
        if isinstance(world, GridWorld):
            returns, steps, reached = self._fit_grid(world, options, q, rng)
        else:
            returns, steps, reached = self._fit_env(world, options, q, rng, env_seed)
        hits = np.flatnonzero(reached)
        self.options_ = options
        self.q_table_ = q
        self.episode_returns_ = returns
        self.episode_steps_ = steps
        self.first_reward_episode_ = int(hits[0]) + 1 if hits.size else None
        return self

    def _fit_grid(self, world: GridWorld, options, q, rng):
        """Compiled training loop on a grid world; updates ``q`` in place."""
        longest = max(len(o) for o in options)
        table = np.full((len(options), longest), -1, dtype=np.int64)
        for i, o in enumerate(options):
            table[i, : len(o)] = o
        lengths = np.array([len(o) for o in options], dtype=np.int64)
        returns = np.zeros(self.n_episodes)
        steps = np.zeros(self.n_episodes, dtype=np.int64)
        reached = np.zeros(self.n_episodes, dtype=bool)
        for e in range(self.n_episodes):
            uniforms = rng.random((world.max_steps, 2))  # at most one decision per step
            returns[e], steps[e], reached[e] = _run_episode(
                q,
                world.cells,
                world.start[0],
                world.start[1],
                table,
                lengths,
                world.max_steps,
                float(self.learning_rate),
                float(self.discount),
                float(self.epsilon),
                uniforms,
            )
        return returns, steps, reached

    def _fit_env(self, env, options, q, rng, env_seed):
        """Step-by-step training loop on any discrete environment; updates ``q`` in place.

        Mirrors ``_run_episode`` decision for decision: same random stream, same
        tie-breaking, same SMDP update with abort on termination.
        """
        alpha, gamma, epsilon = float(self.learning_rate), float(self.discount), float(self.epsilon)
        n_options, max_steps = len(options), int(env.max_steps)
        returns = np.zeros(self.n_episodes)
        steps = np.zeros(self.n_episodes, dtype=np.int64)
        reached = np.zeros(self.n_episodes, dtype=bool)
        table = q.tolist()  # rows of Python floats: the per-step work stays out of NumPy
        for e in range(self.n_episodes):
            state = env.reset(seed=env_seed if e == 0 else None)
            uniforms = rng.random((max_steps, 2)).tolist()
            t = d = 0
            total = 0.0
            while t < max_steps:
                u_explore, u_pick = uniforms[d]
                d += 1
                row = table[state]
                if u_explore < epsilon:
                    option = min(int(u_pick * n_options), n_options - 1)
                else:
                    best = max(row)
                    ties = [j for j, value in enumerate(row) if value == best]
                    option = ties[min(int(u_pick * len(ties)), len(ties) - 1)]
                discounted, discount, duration = 0.0, 1.0, 0
                terminated = truncated = False
                for action in options[option]:
                    next_state, reward, terminated, truncated = env.step(action)
                    discounted += discount * reward
                    discount *= gamma
                    duration += 1
                    t += 1
                    total += reward
                    if terminated or truncated or t >= max_steps:
                        break
                # SMDP update (see smdp_q_update); no bootstrap after termination.
                target = discounted
                if not terminated:
                    target += gamma**duration * max(table[next_state])
                row[option] += alpha * (target - row[option])
                state = next_state
                if terminated:
                    reached[e] = getattr(env, "reached_goal", True)
                    break
                if truncated:
                    break
            returns[e], steps[e] = total, t
        q[:] = table
        return returns, steps, reached

    def greedy_rollout(self, world) -> tuple[float, int]:
        """Run the learnt greedy policy once (lowest option id on ties).

        Returns
        -------
        return : float
            Undiscounted return of the episode.
        steps : int
            Primitive steps taken.
        """
        if not hasattr(self, "q_table_"):
            raise RuntimeError("this MacroQLearning is not fitted yet; call fit(world) first")
        state, total, t, done = world.reset(), 0.0, 0, False
        while not done:
            for action in self.options_[int(np.argmax(self.q_table_[state]))]:
                state, reward, terminated, truncated = world.step(action)
                total, t = total + reward, t + 1
                done = terminated or truncated
                if done:
                    break
        return total, t


def run_trials(world, *, macros=(), n_trials: int = 10, random_state=None, **params):
    """Train one :class:`MacroQLearning` per trial, each with its own seed.

    The trials' seeds are drawn up front from ``random_state``, so the same
    ``random_state`` gives every kind of agent the same seeds (paired trials)
    and no result depends on the order of the runs.

    Parameters
    ----------
    world : GridWorld or DiscretizedEnv
    macros : sequence of sequences of int, or callable, default=()
        Passed to every agent; ``()`` trains the plain baseline. A callable is
        called once per trial with a seeded :class:`numpy.random.Generator` and
        returns that trial's macros (e.g. random sequences, for a control).
    n_trials : int, default=10
        Independent trials (``>= 1``).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the trial seeds.
    **params
        Other :class:`MacroQLearning` parameters (``n_episodes``, ``epsilon`` ...).

    Returns
    -------
    dict
        ``returns``: ndarray of shape (n_trials, n_episodes), the return of every
        episode; ``steps``: the same shape, primitive steps per episode;
        ``first_reward``: int ndarray of shape (n_trials,), the 1-based episode of
        the first reward, ``n_episodes + 1`` where a trial never reached it
        (censored); ``reached``: bool ndarray of shape (n_trials,);
        ``macros``: list of each trial's macros.
    """
    n_trials = _check_positive_int(n_trials, "n_trials")
    # Column 0 seeds the agent, column 1 the trial's macros (when drawn).
    seeds = np.random.default_rng(random_state).integers(0, 2**63 - 1, size=(n_trials, 2))
    agents, used = [], []
    for agent_seed, macro_seed in seeds:
        trial_macros = (
            macros(np.random.default_rng(int(macro_seed))) if callable(macros) else macros
        )
        agent = MacroQLearning(macros=trial_macros, random_state=int(agent_seed), **params)
        agents.append(agent.fit(world))
        used.append(agent.options_[world.n_actions :])
    n_episodes = agents[0].n_episodes
    first = np.array([a.first_reward_episode_ or n_episodes + 1 for a in agents], dtype=np.int64)
    return {
        "returns": np.stack([a.episode_returns_ for a in agents]),
        "steps": np.stack([a.episode_steps_ for a in agents]),
        "first_reward": first,
        "reached": first <= n_episodes,
        "macros": used,
    }


def learning_curve(
    returns, *, window: int = 10, confidence: float = 0.95, n_boot: int = 1000, random_state=None
):
    """Mean return per episode over trials, smoothed, with a bootstrap confidence band.

    Each trial's returns are averaged over a trailing window of ``window``
    episodes (fewer at the start). The band is the percentile bootstrap over
    trials: ``n_boot`` resamples of the trials, with replacement, give
    ``n_boot`` mean curves, whose ``(1 - confidence) / 2`` and
    ``(1 + confidence) / 2`` quantiles bound it at every episode. Unlike a
    normal-theory band it stays inside the range of the returns.

    Parameters
    ----------
    returns : array-like of shape (n_trials, n_episodes)
        Episode returns, e.g. ``run_trials(...)["returns"]``; ``n_trials >= 2``.
    window : int, default=10
        Episodes per moving average (``>= 1``).
    confidence : float, default=0.95
        Coverage of the band, in ``(0, 1)``.
    n_boot : int, default=1000
        Bootstrap resamples (``>= 1``).
    random_state : int, numpy.random.Generator or None, default=None
        Seed of the resampling.

    Returns
    -------
    mean, low, high : ndarray of shape (n_episodes,)
    """
    returns = np.asarray(returns, dtype=np.float64)
    if returns.ndim != 2 or returns.shape[0] < 2 or returns.shape[1] < 1:
        raise ValueError(
            f"returns must have shape (n_trials >= 2, n_episodes >= 1), got {returns.shape}"
        )
    window = _check_positive_int(window, "window")
    n_boot = _check_positive_int(n_boot, "n_boot")
    if not isinstance(confidence, Real) or not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    csum = np.cumsum(returns, axis=1)
    shifted = np.zeros_like(csum)
    shifted[:, window:] = csum[:, :-window]
    smooth = (csum - shifted) / np.minimum(np.arange(1, returns.shape[1] + 1), window)
    n_trials = returns.shape[0]
    picks = np.random.default_rng(random_state).integers(0, n_trials, size=(n_boot, n_trials))
    # Mean curve of each resample, one at a time to keep memory at O(n_boot * n_episodes).
    boot = np.stack([smooth[p].mean(axis=0) for p in picks])
    low, high = np.quantile(boot, [(1 - confidence) / 2, (1 + confidence) / 2], axis=0)
    return smooth.mean(axis=0), low, high
