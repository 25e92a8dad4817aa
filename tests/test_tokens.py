from datetime import UTC, datetime, timedelta

import pytest

from worker.tokens import BadToken, make_token, read_token

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def test_round_trip() -> None:
    token = make_token("secret", 42, "unsubscribe", T0)
    assert read_token("secret", token, "unsubscribe", T0 + DAY, 2 * DAY) == 42


@pytest.mark.parametrize(("secret", "purpose", "at", "why"), [
    ("other", "unsubscribe", T0, "bad signature"),
    ("secret", "manage", T0, "token is for unsubscribe"),
    ("secret", "unsubscribe", T0 + 3 * DAY, "expired"),
])
def test_rejected(secret: str, purpose: str, at: datetime, why: str) -> None:
    token = make_token("secret", 42, "unsubscribe", T0)
    with pytest.raises(BadToken, match=why):
        read_token(secret, token, purpose, at, 2 * DAY)  # type: ignore[arg-type]


def test_cannot_be_turned_into_another_subscribers_token() -> None:
    token = make_token("secret", 42, "unsubscribe", T0)
    signature = token.split(".")[1]
    forged = make_token("guess", 43, "unsubscribe", T0).split(".")[0] + "." + signature
    for bad in (forged, "garbage", token + "x", "."):
        with pytest.raises(BadToken):
            read_token("secret", bad, "unsubscribe", T0, DAY)
