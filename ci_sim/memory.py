"""Freeing a finished model at once, without waiting for the cyclic garbage collector.

A Mesa model and its agents refer to each other (``agent.model``, the model's agent
registry, bound methods, the event generator), so a finished model is not freed when
its last reference goes: only the occasional full collection of the cyclic garbage
collector frees it. A sweep worker that runs thousands of models then holds many dead
ones and its memory grows. :func:`release_model` breaks the cycles so that a model is
freed as soon as the caller drops it.
"""

from __future__ import annotations

from typing import Any


def release_model(model: Any) -> None:
    """Drop the state of a finished model and of its agents (breaks reference cycles).

    The model is unusable afterwards: call this only on a model nobody else holds,
    after its results were copied out (as :func:`ci_sim.runner.run` does).

    Args:
        model: a ``mesa.Model`` (or anything with a ``__dict__``).
    """
    agents = getattr(model, "agents", None)
    for agent in list(agents) if agents is not None else []:
        state = getattr(agent, "__dict__", None)
        if state is not None:
            state.clear()
    model.__dict__.clear()
