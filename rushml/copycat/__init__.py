"""Be a Copycat: explore with the action sequences that experts repeat.

When reward is sparse, an agent that explores one random action at a time
rarely strings together the long, specific sequence that earns it. The idea
re-implemented here is to mine the action sequences that occur most often in a
few expert demonstrations (frequent n-grams of actions) and to offer each of
them to the agent as one extra action, a *macro-action*. The agent then explores
in expert-shaped chunks, which can reach the reward in far fewer episodes.

The package's modules:

* :mod:`~rushml.copycat.mining`: :func:`count_action_ngrams` and
  :func:`mine_action_sequences`;
* :mod:`~rushml.copycat.gridworld`: a deterministic sparse-reward grid world,
  :class:`GridWorld`, with a generator of long winding corridors
  (:func:`make_serpentine_world`) and a shortest-path expert
  (:func:`expert_demonstrations`);
* :mod:`~rushml.copycat.discretized`: Gymnasium tasks with box observations cut into a
  grid of states, :class:`DiscretizedEnv`, and a recorder of a hand-written expert's
  episodes (:func:`record_demonstrations`);
* :mod:`~rushml.copycat.learning`: the learner, :class:`MacroQLearning`, tabular SMDP
  Q-learning whose action set is the primitive actions plus any macro-actions (no
  macros: the plain Q-learning baseline), with the one-step update exposed as
  :func:`smdp_q_update`; :func:`run_trials`, which trains agents over several seeds,
  and :func:`learning_curve`, which averages their returns with a bootstrap band;
* ``_kernels`` (compiled with numba: a grid step, the SMDP update, a whole episode on a
  grid) and ``_common`` (parameter checks, the noisy expert episode), private.

References
----------
T. Medini and A. Shrivastava, "Be a Copycat: Uncharted Rewards by Mimicking
Expert Action Sequences", Deep Reinforcement Learning Workshop at NeurIPS 2019.

R. S. Sutton, D. Precup and S. Singh, "Between MDPs and semi-MDPs: a framework
for temporal abstraction in reinforcement learning", Artificial Intelligence
112, 1999 (the SMDP Q-learning update used for macro-actions).
"""

from .discretized import DiscretizedEnv, record_demonstrations
from .gridworld import ACTION_NAMES, GridWorld, expert_demonstrations, make_serpentine_world
from .learning import MacroQLearning, learning_curve, run_trials, smdp_q_update
from .mining import count_action_ngrams, mine_action_sequences

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
