"""Exponential backoff with jitter for transient failures (pure; randomness passed in)."""

from __future__ import annotations

import random

_RNG = random.Random()


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random | None = None,
                    at_least: float = 0.0) -> float:
    """Wait before retry number `attempt` (1, 2, …): base·2^(attempt-1) capped, the upper
    half jittered so many workers failing together do not retry together; never less
    than `at_least` (a server's Retry-After)."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    jittered = ceiling / 2 + (rng or _RNG).uniform(0, ceiling / 2)
    return max(at_least, jittered)
