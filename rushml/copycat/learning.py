"""The copycat learner: tabular SMDP Q-learning over primitive actions plus macro-actions.

:class:`MacroQLearning` learns in a compiled loop on a :class:`~rushml.copycat.GridWorld`
and step by step in Python on any other discrete environment, with the same decisions
and updates; :func:`run_trials` trains agents over paired seeds and
:func:`learning_curve` averages their returns with a bootstrap band.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np

from ._common import _check_positive_int, _check_unit
from ._kernels import _run_episode, _smdp_update
from .gridworld import GridWorld


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
