import random

import pytest

from worker.backoff import backoff_seconds


@pytest.mark.parametrize(("attempt", "low", "high"), [
    (1, 15, 30), (2, 30, 60), (3, 60, 120), (8, 1800, 3600), (30, 1800, 3600),
])
def test_exponential_capped_and_jittered(attempt: int, low: float, high: float) -> None:
    rng = random.Random(1)
    waits = [backoff_seconds(attempt, 30, 3600, rng) for _ in range(200)]
    assert all(low <= w <= high for w in waits)
    assert len({round(w, 3) for w in waits}) > 150  # jittered, not one fixed value


def test_retry_after_is_honoured() -> None:
    assert backoff_seconds(1, 30, 3600, random.Random(1), at_least=600) == 600
