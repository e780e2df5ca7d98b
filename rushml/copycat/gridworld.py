"""A deterministic sparse-reward grid world, long winding corridors, a shortest-path expert."""

from __future__ import annotations

from collections import deque

import numpy as np

from ._common import _check_positive_int, _check_probability, _check_range, _noisy_episode
from ._kernels import _DCOL, _DROW, FLOOR, GOAL, LAVA, WALL, _grid_step

#: Letters of the four grid actions, indexed by action id: up, right, down, left.
ACTION_NAMES = "URDL"

_CELL_CODES = {".": FLOOR, "S": FLOOR, "#": WALL, "G": GOAL, "~": LAVA}


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
    noise = _check_probability(noise, "noise")
    rng = np.random.default_rng(random_state)
    padded = np.pad(world.distance_to_goal(), 1, constant_values=np.inf)

    def shortest(state: int) -> int:
        # Distance to a goal from each neighbour (walls, lava, edges: inf).
        r, c = world.cell_of(state)
        return int(np.argmin(padded[r + 1 + _DROW, c + 1 + _DCOL]))

    return [
        _noisy_episode(world, world.reset(), shortest, noise, rng) for _ in range(n_demonstrations)
    ]
