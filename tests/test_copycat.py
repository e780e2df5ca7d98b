"""Tests of rushml.copycat: action-sequence mining, the grid world, SMDP Q-learning."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from rushml.copycat import (
    ACTION_NAMES,
    DiscretizedEnv,
    GridWorld,
    MacroQLearning,
    count_action_ngrams,
    expert_demonstrations,
    learning_curve,
    make_serpentine_world,
    mine_action_sequences,
    record_demonstrations,
    run_trials,
    smdp_q_update,
)

U, R, D, L = 0, 1, 2, 3


def letters(text: str) -> list[int]:
    return [ACTION_NAMES.index(ch) for ch in text]


# -- Mining ------------------------------------------------------------------------


def test_mining_returns_the_known_frequent_sequences_of_a_handwritten_demonstration():
    # Windows of length 3: "RRRURRR" -> RRR RRU RUR URR RRR; "RRRUU" -> RRR RRU RUU.
    # So RRR occurs 3 times, RRU twice, RUR, URR and RUU once each.
    demos = [letters("RRRURRR"), letters("RRRUU")]
    mined = mine_action_sequences(demos, length=3, n_sequences=5)
    assert mined == [tuple(letters("RRR")), tuple(letters("RRU"))]  # min_count=2 drops the rest
    every = mine_action_sequences(demos, length=3, n_sequences=5, min_count=1)
    assert every[:2] == mined
    assert set(every[2:]) == {tuple(letters(s)) for s in ("RUR", "URR", "RUU")}


def test_counts_match_the_handwritten_tally_and_ties_keep_first_occurrence():
    ngrams, counts = count_action_ngrams([letters("RRRURRR"), letters("RRRUU")], 3)
    assert counts.tolist() == [3, 2, 1, 1, 1]
    # The three single n-grams in order of first appearance: RUR, URR (demo 1), RUU (demo 2).
    assert ["".join(ACTION_NAMES[a] for a in g) for g in ngrams[2:]] == ["RUR", "URR", "RUU"]


def test_ngrams_never_span_two_demonstrations():
    ngrams, counts = count_action_ngrams([[0, 1], [1, 0]], 2)
    assert {tuple(g) for g in ngrams} == {(0, 1), (1, 0)}
    assert counts.tolist() == [1, 1]


def test_counts_agree_with_a_brute_force_counter_on_random_logs():
    # Variable lengths, 18 action ids (an Atari-sized action set), some demos too short.
    rng = np.random.default_rng(7)
    demos = [rng.integers(0, 18, size=n) for n in (0, 2, 40, 333, 1000)]
    for length in (1, 3, 5):
        reference = Counter(
            tuple(d[i : i + length]) for d in demos for i in range(len(d) - length + 1)
        )
        ngrams, counts = count_action_ngrams(demos, length)
        assert {tuple(g): c for g, c in zip(ngrams.tolist(), counts.tolist(), strict=True)} == {
            tuple(int(a) for a in k): v for k, v in reference.items()
        }
        assert np.all(np.diff(counts) <= 0)


def test_mining_accepts_arrays_and_integral_floats():
    demos = [np.array([2.0, 2.0, 2.0]), (2, 2)]
    assert mine_action_sequences(demos, length=2, n_sequences=1) == [(2, 2)]


@pytest.mark.parametrize(
    ("demos", "match"),
    [
        ([], "demonstrations is empty"),
        ([[], []], "every demonstration has zero actions"),
        ([[0, -1, 2]], r"negative action id \(-1\)"),
        ([[0.5, 1.0]], "integer action ids"),
        ([[[0, 1], [1, 0]]], "1-D sequence"),
        (np.array([0, 1, 2]), "single 1-D array"),
    ],
)
def test_bad_demonstrations_raise_a_clear_error(demos, match):
    with pytest.raises(ValueError, match=match):
        mine_action_sequences(demos, length=2, n_sequences=1)


@pytest.mark.parametrize("length", [0, -2, 1.5, True])
def test_ngram_length_that_is_not_a_positive_integer_is_rejected(length):
    with pytest.raises(ValueError, match=rf"length must be a positive integer, got {length!r}"):
        mine_action_sequences([[0, 1, 2]], length=length, n_sequences=1)


def test_ngram_length_beyond_every_demonstration_is_rejected():
    with pytest.raises(ValueError, match=r"length=4 is longer than every demonstration.*3 actions"):
        count_action_ngrams([[0, 1, 2], [1]], 4)


@pytest.mark.parametrize(("name", "value"), [("n_sequences", 0), ("min_count", 0)])
def test_mining_counts_must_be_positive(name, value):
    kwargs = {"length": 2, "n_sequences": 1, name: value}
    with pytest.raises(ValueError, match=rf"{name} must be a positive integer, got 0"):
        mine_action_sequences([[0, 1, 2]], **kwargs)


# -- Grid world --------------------------------------------------------------------

CORRIDOR = ["#####", "#S.G#", "#####"]


def test_grid_world_moves_bumps_and_pays_only_at_the_goal():
    world = GridWorld(["#####", "#S.G#", "#.~##", "#####"], max_steps=10)
    s = world.reset()
    assert world.cell_of(s) == (1, 1)
    assert world.step(U) == (world.state_of(1, 1), 0.0, False, False)  # wall: stays
    assert world.step(R) == (world.state_of(1, 2), 0.0, False, False)
    assert world.step(R) == (world.state_of(1, 3), 1.0, True, False)
    world.reset()
    world.step(R)
    assert world.step(D) == (world.state_of(2, 2), 0.0, True, False)  # lava ends, pays nothing


def test_grid_world_truncates_after_max_steps():
    world = GridWorld(CORRIDOR, max_steps=3)
    world.reset()
    assert [world.step(L)[3] for _ in range(3)] == [False, False, True]
    with pytest.raises(RuntimeError, match="reset"):
        world.step(L)


@pytest.mark.parametrize(
    ("layout", "match"),
    [
        (["S.G", "S.."], "exactly one start 'S', found 2"),
        (["S.."], "no goal 'G'"),
        (["S#G"], "no path from the start"),
        (["S~G"], "no path from the start"),
        (["S.G", ".."], "equal length"),
        (["S.X.G"], r"unknown cell characters \['X'\]"),
    ],
)
def test_bad_layouts_raise_a_clear_error(layout, match):
    with pytest.raises(ValueError, match=match):
        GridWorld(layout)


def test_serpentine_world_needs_one_long_path_and_the_expert_walks_it():
    world = make_serpentine_world(4, run_length=(3, 7), rise=(2, 4), random_state=3)
    dist = world.distance_to_goal()
    (demo,) = expert_demonstrations(world, 1, noise=0.0)
    assert len(demo) == dist[world.start]  # noiseless expert: a shortest path
    assert set(demo.tolist()) <= {U, R, L}  # right, climb, left, climb ...
    # A one-cell corridor: every floor cell has at most two open neighbours.
    free = np.pad(world.cells != 1, 1)
    neighbours = free[:-2, 1:-1].astype(int) + free[2:, 1:-1] + free[1:-1, :-2] + free[1:-1, 2:]
    assert neighbours[world.cells != 1].max() == 2


def test_noisy_expert_still_reaches_the_goal_and_leaves_frequent_straight_runs():
    world = make_serpentine_world(5, random_state=0, max_steps=400)
    demos = expert_demonstrations(world, 3, noise=0.1, random_state=0)
    assert all(len(d) < world.max_steps for d in demos)  # each ended at the goal
    mined = mine_action_sequences(demos, length=4, n_sequences=2)
    assert set(mined) == {(R, R, R, R), (L, L, L, L)}


# -- SMDP update -------------------------------------------------------------------


def toy_table() -> np.ndarray:
    q = np.zeros((3, 5))
    q[0, 4] = 0.1
    q[2] = [0.2, 0.5, 0.0, -0.3, 0.1]
    return q


def test_macro_update_on_a_toy_transition_matches_the_hand_computed_value():
    # A 3-step macro (option 4) from state 0 to state 2, rewards 0, 0, 1, gamma 0.9, alpha 0.5:
    # target = 0 + 0.9*0 + 0.81*1 + 0.729 * max Q(2, .) = 0.81 + 0.729*0.5 = 1.1745
    # Q(0, 4) = 0.1 + 0.5 * (1.1745 - 0.1) = 0.63725
    q = toy_table()
    new = smdp_q_update(
        q, 0, 4, [0.0, 0.0, 1.0], 2, terminated=False, learning_rate=0.5, discount=0.9
    )
    assert new == pytest.approx(0.63725, abs=1e-12)  # float rounding only
    assert q[0, 4] == new
    assert np.count_nonzero(q != toy_table()) == 1


def test_macro_update_that_ends_the_episode_does_not_bootstrap():
    # Terminated: target = 0.81, Q(0, 4) = 0.1 + 0.5 * (0.81 - 0.1) = 0.455
    q = toy_table()
    new = smdp_q_update(q, 0, 4, [0, 0, 1], 2, terminated=True, learning_rate=0.5, discount=0.9)
    assert new == pytest.approx(0.455, abs=1e-12)


def test_one_step_update_is_ordinary_q_learning():
    # r + gamma max Q(2,.) = 0.25 + 0.9*0.5 = 0.7; Q(1,3) = 0 + 0.2*0.7 = 0.14
    q = toy_table()
    assert smdp_q_update(
        q, 1, 3, [0.25], 2, terminated=False, learning_rate=0.2, discount=0.9
    ) == pytest.approx(0.14, abs=1e-12)


def test_update_rejects_no_rewards_and_bad_rates():
    with pytest.raises(ValueError, match="at least one reward"):
        smdp_q_update(toy_table(), 0, 4, [], 2, terminated=False, learning_rate=0.5, discount=0.9)
    with pytest.raises(ValueError, match=r"learning_rate must be a number in \(0, 1\], got 0"):
        smdp_q_update(toy_table(), 0, 4, [1], 2, terminated=False, learning_rate=0, discount=0.9)


# -- Agent: compiled kernel against a plain reference -----------------------------


def reference_fit(world: GridWorld, options, *, n_episodes, alpha, gamma, epsilon, seed):
    """Plain-Python SMDP Q-learning reading the same random stream as the kernel."""
    rng = np.random.default_rng(seed)
    rng.integers(0, 2**31 - 1)  # the environment's seed, drawn first by fit
    q = np.zeros((world.n_states, len(options)))
    returns, steps = [], []
    for _ in range(n_episodes):
        uniforms = rng.random((world.max_steps, 2))
        state, t, total, d, done = world.reset(), 0, 0.0, 0, False
        while not done:
            u_explore, u_pick = uniforms[d]
            d += 1
            if u_explore < epsilon:
                option = min(int(u_pick * len(options)), len(options) - 1)
            else:
                ties = np.flatnonzero(q[state] == q[state].max())
                option = int(ties[min(int(u_pick * len(ties)), len(ties) - 1)])
            rewards, terminated = [], False
            nxt = state
            for action in options[option]:
                nxt, reward, terminated, truncated = world.step(action)
                rewards.append(reward)
                t += 1
                if terminated or truncated:
                    done = True
                    break
            g = sum(gamma**i * r for i, r in enumerate(rewards))
            target = g if terminated else g + gamma ** len(rewards) * q[nxt].max()
            q[state, option] += alpha * (target - q[state, option])
            total += sum(rewards)
            state = nxt
        returns.append(total)
        steps.append(t)
    return q, np.array(returns), np.array(steps)


@pytest.mark.parametrize(
    ("layout", "macros"),
    [
        (["#######", "#S...G#", "#.~...#", "#######"], [(R, R, R), (D, R)]),
        (["######", "#S#..#", "#..#G#", "##...#", "######"], [(D, R, D), (R, R, U, U)]),
        (CORRIDOR, []),
    ],
)
def test_compiled_episode_loop_matches_the_plain_reference(layout, macros):
    world = GridWorld(layout, max_steps=25)
    agent = MacroQLearning(
        macros=macros, n_episodes=60, learning_rate=0.3, discount=0.9, epsilon=0.2, random_state=5
    ).fit(world)
    q, returns, steps = reference_fit(
        world, agent.options_, n_episodes=60, alpha=0.3, gamma=0.9, epsilon=0.2, seed=5
    )
    assert agent.episode_steps_.tolist() == steps.tolist()
    assert agent.episode_returns_.tolist() == returns.tolist()
    np.testing.assert_allclose(agent.q_table_, q, rtol=0, atol=1e-12)  # same sums, same order
    assert agent.q_table_.max() > 0  # the reward was found, so the comparison has teeth


def test_macro_is_aborted_when_the_episode_ends_inside_it():
    # The goal is two steps right; the macro RRRR ends there after 2 steps. With alpha = 1
    # the deterministic update sets Q(start, macro) = 0 + gamma * 1 exactly, not gamma**3.
    world = GridWorld(CORRIDOR, max_steps=10)
    agent = MacroQLearning(
        macros=[(R, R, R, R)],
        n_episodes=50,
        learning_rate=1.0,
        discount=0.9,
        epsilon=1.0,
        random_state=0,
    ).fit(world)
    start = world.state_of(*world.start)
    assert agent.q_table_[start, 4] == pytest.approx(0.9, abs=1e-12)
    assert agent.episode_steps_.min() == 2


def test_plain_agent_has_only_the_primitive_actions_and_learns_the_corridor():
    world = GridWorld(CORRIDOR, max_steps=20)
    agent = MacroQLearning(n_episodes=100, random_state=0).fit(world)
    assert agent.options_ == ((U,), (R,), (D,), (L,))
    assert agent.greedy_rollout(world) == (1.0, 2)


def test_init_stores_parameters_as_given():
    macros = [[1, 1]]
    agent = MacroQLearning(macros=macros, n_episodes=7, learning_rate=1, epsilon=0, random_state=3)
    assert agent.macros is macros
    assert (agent.n_episodes, agent.learning_rate, agent.epsilon, agent.random_state) == (
        7,
        1,
        0,
        3,
    )
    assert not hasattr(agent, "q_table_")
    with pytest.raises(TypeError):
        MacroQLearning([[1, 1]])  # keyword-only


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"learning_rate": 0.0}, r"learning_rate must be a number in \(0, 1\], got 0.0"),
        ({"discount": 1.5}, r"discount must be a number in \[0, 1\], got 1.5"),
        ({"epsilon": -0.1}, r"epsilon must be a number in \[0, 1\], got -0.1"),
        ({"n_episodes": 0}, "n_episodes must be a positive integer, got 0"),
        ({"macros": [[1, 4]]}, r"action ids in 0..3, got \(1, 4\)"),
        ({"macros": [[]]}, r"non-empty sequences .* got \(\)"),
        ({"q_init": float("nan")}, "q_init must be a finite number, got nan"),
    ],
)
def test_bad_parameters_are_rejected_at_fit_naming_the_parameter(params, match):
    agent = MacroQLearning(**params)  # stored without checks
    with pytest.raises(ValueError, match=match):
        agent.fit(GridWorld(CORRIDOR))


def test_greedy_rollout_needs_a_fitted_agent():
    with pytest.raises(RuntimeError, match="not fitted yet"):
        MacroQLearning().greedy_rollout(GridWorld(CORRIDOR))


def test_same_seed_same_run_and_other_seed_other_run():
    world = make_serpentine_world(2, run_length=(4, 5), max_steps=60, random_state=0)
    fit = lambda seed: MacroQLearning(n_episodes=40, random_state=seed).fit(world)  # noqa: E731
    a, b, c = fit(1), fit(1), fit(2)
    assert np.array_equal(a.q_table_, b.q_table_)
    assert np.array_equal(a.episode_steps_, b.episode_steps_)
    assert not np.array_equal(a.episode_steps_, c.episode_steps_)


# -- Trials -------------------------------------------------------------------------


def test_run_trials_shapes_censoring_and_paired_seeds():
    world = make_serpentine_world(3, max_steps=30, random_state=1)  # too few steps to ever arrive
    res = run_trials(world, n_trials=4, random_state=0, n_episodes=5)
    assert res["returns"].shape == res["steps"].shape == (4, 5)
    assert res["first_reward"].tolist() == [6, 6, 6, 6]  # censored at n_episodes + 1
    assert not res["reached"].any()
    again = run_trials(world, n_trials=4, random_state=0, n_episodes=5)
    assert np.array_equal(res["steps"], again["steps"])


def test_run_trials_draws_each_trials_macros_from_a_callable():
    world = GridWorld(CORRIDOR, max_steps=10)

    def draw(rng):
        return rng.integers(0, 4, size=(2, 3))

    res = run_trials(world, macros=draw, n_trials=3, random_state=0, n_episodes=3)
    assert all(len(m) == 2 and all(len(s) == 3 for s in m) for m in res["macros"])
    assert len({tuple(m) for m in res["macros"]}) == 3  # a fresh draw per trial


def test_mined_macros_reach_the_sparse_reward_in_fewer_episodes_than_plain():
    # A 5-run corridor (about 45 steps long) with a 500-step budget: one random action at a time
    # rarely gets there, the mined RRRR/LLLL macros do. Measured medians at these seeds are
    # 299.5 (plain; half the trials never arrive and count as 301) and 13 (copycat) episodes;
    # requiring only a factor of 3 leaves room for other seeds while still failing if the
    # macros stopped helping.
    world = make_serpentine_world(5, random_state=0, max_steps=500)
    demos = expert_demonstrations(world, 3, noise=0.1, random_state=0)
    macros = mine_action_sequences(demos, length=4, n_sequences=2)
    kwargs = {"n_trials": 12, "random_state": 1, "n_episodes": 300}
    plain = np.median(run_trials(world, **kwargs)["first_reward"])
    copycat = np.median(run_trials(world, macros=macros, **kwargs)["first_reward"])
    assert copycat * 3 < plain, (copycat, plain)


def test_learning_curve_smooths_each_trial_and_bootstraps_the_mean():
    returns = np.array([[0.0, 1.0, 1.0, 0.0], [1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    mean, low, high = learning_curve(returns, window=2, confidence=0.9, n_boot=500, random_state=4)
    # Trailing means over two episodes, per trial, written out by hand:
    smooth = np.array([[0, 0.5, 1, 0.5], [1, 1, 0.5, 0], [0, 0, 0.5, 1]])
    np.testing.assert_allclose(mean, smooth.mean(axis=0), atol=1e-12)
    # Reference bootstrap drawing the same resamples.
    picks = np.random.default_rng(4).integers(0, 3, size=(500, 3))
    boot = np.array([smooth[p].mean(axis=0) for p in picks])
    np.testing.assert_allclose(low, np.quantile(boot, 0.05, axis=0), atol=1e-12)
    np.testing.assert_allclose(high, np.quantile(boot, 0.95, axis=0), atol=1e-12)
    # A bootstrap band never leaves the range of the trials' curves.
    assert np.all(low >= smooth.min(axis=0)) and np.all(high <= smooth.max(axis=0))
    assert np.all(low <= mean) and np.all(mean <= high)


def test_learning_curve_band_narrows_with_more_trials():
    # 0/1 returns with success rate 0.3; the band's width shrinks like 1/sqrt(n_trials), so
    # 16x the trials should give about a quarter of the width; 0.5 leaves room for noise.
    rng = np.random.default_rng(0)
    few = (rng.random((10, 50)) < 0.3).astype(float)
    many = (rng.random((160, 50)) < 0.3).astype(float)

    def mean_width(returns):
        _, low, high = learning_curve(returns, random_state=1)
        return np.mean(high - low)

    assert mean_width(many) < 0.5 * mean_width(few)


def test_learning_curve_needs_two_trials():
    with pytest.raises(ValueError, match=r"n_trials >= 2.*\(1, 3\)"):
        learning_curve(np.zeros((1, 3)))


# -- Gymnasium-style environments ---------------------------------------------------


class Box:
    def __init__(self, low, high):
        self.low, self.high = np.asarray(low, float), np.asarray(high, float)
        self.shape = self.low.shape


class Discrete:
    def __init__(self, n):
        self.n = n


class Line:
    """A Gymnasium-style walk on [0, 1]: action 1 steps +0.1, action 0 steps -0.1; ends at 1."""

    observation_space = Box([0.0], [1.0])
    action_space = Discrete(2)

    def reset(self, seed=None):
        if seed is not None:
            self.rng = np.random.default_rng(seed)
        self.x = float(self.rng.uniform(0.0, 0.3))
        return np.array([self.x]), {}

    def step(self, action):
        self.x = min(max(self.x + (0.1 if action == 1 else -0.1), 0.0), 1.0)
        done = self.x >= 0.999
        return np.array([self.x]), -1.0, done, False, {}


def test_discretized_states_match_a_numpy_grid_reference():
    env = DiscretizedEnv(Line(), bins=[7], max_steps=5)
    wide = DiscretizedEnv(Line(), bins=5, low=[-1.0], high=[2.0], max_steps=5)
    x = np.random.default_rng(0).uniform(-2, 3, size=500)  # many outside the bounds
    for e in (env, wide):
        cells = np.clip(
            np.floor((x - e.low[0]) / (e.high[0] - e.low[0]) * e.bins[0]), 0, e.bins[0] - 1
        )
        assert [e.state_of([v]) for v in x] == cells.astype(int).tolist()


def test_discretized_states_of_two_dimensions_are_row_major():
    class Plane(Line):
        observation_space = Box([-1.0, 0.0], [1.0, 10.0])

    env = DiscretizedEnv(Plane(), bins=(4, 5), max_steps=5)
    # (-0.9 -> bin 0 of 4, 9.9 -> bin 4 of 5) -> 0*5 + 4; (0.6 -> 3, 2.5 -> 1) -> 3*5 + 1
    assert env.state_of([-0.9, 9.9]) == 4
    assert env.state_of([0.6, 2.5]) == 16
    assert env.n_states == 20


def test_discretized_env_truncates_and_can_make_the_reward_sparse():
    env = DiscretizedEnv(Line(), bins=10, max_steps=3, sparse_reward=True)
    env.reset(seed=0)
    assert [env.step(0)[1:] for _ in range(3)] == [(0.0, False, False)] * 2 + [(0.0, False, True)]
    env = DiscretizedEnv(Line(), bins=10, max_steps=30, sparse_reward=True)
    env.reset(seed=0)
    out = [env.step(1)]
    while not out[-1][2]:
        out.append(env.step(1))
    assert 7 <= len(out) <= 10  # from x in [0, 0.3) to 1 in steps of 0.1
    assert out[-1][1:] == (1.0, True, False) and env.reached_goal
    assert [o[1] for o in out[:-1]] == [0.0] * (len(out) - 1)  # Line's -1s replaced by 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bins": 0}, "bins must be positive integers, got 0"),
        ({"low": [0.0, 1.0]}, "low and high must have 1 values"),
        ({"low": [1.0], "high": [1.0]}, "high must exceed low"),
        ({"low": [-np.inf]}, "must be finite"),
        ({}, "max_steps is required"),
    ],
)
def test_discretized_env_rejects_bad_grids(kwargs, match):
    kwargs = {"max_steps": 5, **kwargs} if "max_steps is" not in match else kwargs
    with pytest.raises(ValueError, match=match):
        DiscretizedEnv(Line(), **kwargs)


class Adapter:
    """Hides a GridWorld's type, so that fit takes the step-by-step Python path."""

    def __init__(self, world):
        self.world = world
        self.n_states, self.n_actions, self.max_steps = world.n_states, 4, world.max_steps

    def reset(self, seed=None):
        return self.world.reset()

    def step(self, action):
        out = self.world.step(action)
        self.reached_goal = self.world.reached_goal
        return out


def test_python_loop_for_other_environments_matches_the_compiled_grid_loop():
    world = GridWorld(["#######", "#S...G#", "#.~...#", "#######"], max_steps=25)
    kwargs = {"macros": [(R, R, R), (D, R)], "n_episodes": 80, "epsilon": 0.2, "random_state": 2}
    compiled = MacroQLearning(**kwargs).fit(world)
    python = MacroQLearning(**kwargs).fit(Adapter(world))
    np.testing.assert_allclose(python.q_table_, compiled.q_table_, rtol=0, atol=1e-12)
    assert python.episode_steps_.tolist() == compiled.episode_steps_.tolist()
    assert python.first_reward_episode_ == compiled.first_reward_episode_ is not None


def test_fit_rejects_an_object_that_is_not_an_environment():
    with pytest.raises(TypeError, match="lacks n_states, n_actions, max_steps"):
        MacroQLearning().fit(object())


def test_record_demonstrations_follows_the_policy_when_noise_is_zero():
    env = DiscretizedEnv(Line(), bins=10, max_steps=50)
    (demo,) = record_demonstrations(env, lambda obs: 1, 1, random_state=0)
    assert set(demo.tolist()) == {1} and 7 <= len(demo) <= 10  # from x in [0, 0.3) to 1
    noisy = record_demonstrations(env, lambda obs: 1, 4, noise=0.5, random_state=0)
    assert any(0 in d for d in noisy)


def test_mountain_car_expert_reaches_the_flag_and_its_pushes_are_mined():
    # The real Gymnasium task: pushing along the velocity pumps energy until the flag.
    env = DiscretizedEnv("MountainCar-v0", bins=16)
    demos = record_demonstrations(env, lambda obs: 2 if obs[1] >= 0 else 0, 3, random_state=0)
    assert all(len(d) < env.max_steps for d in demos)
    assert set(mine_action_sequences(demos, length=16, n_sequences=2)) == {(0,) * 16, (2,) * 16}
