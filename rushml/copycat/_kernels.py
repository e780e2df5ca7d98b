"""Compiled kernels of the copycat learner (numba): a grid step, the SMDP update, an episode.

Private: :mod:`rushml.copycat.gridworld` and :mod:`rushml.copycat.learning` wrap them.
The step-by-step Python loop of :meth:`~rushml.copycat.MacroQLearning.fit` on other
environments makes the same decisions and updates; the tests check the two agree.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Row and column offsets of the four grid actions, in ACTION_NAMES order (up, right,
# down, left).
_DROW = np.array([-1, 0, 1, 0], dtype=np.int64)
_DCOL = np.array([0, 1, 0, -1], dtype=np.int64)

# Cell codes of a GridWorld.
FLOOR, WALL, GOAL, LAVA = 0, 1, 2, 3


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
