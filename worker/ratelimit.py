"""A send rate limit shared by every worker through Redis (fixed windows per second and day)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# One round trip: count this send in both windows, undo it if either is over its limit.
_TAKE = """
local second = redis.call('INCR', KEYS[1])
if second == 1 then redis.call('EXPIRE', KEYS[1], 2) end
local day = redis.call('INCR', KEYS[2])
if day == 1 then redis.call('EXPIRE', KEYS[2], 90000) end
local per_second, per_day = tonumber(ARGV[1]), tonumber(ARGV[2])
if (per_day > 0 and day > per_day) then
  redis.call('DECR', KEYS[1]); redis.call('DECR', KEYS[2]); return 2
end
if (per_second > 0 and second > per_second) then
  redis.call('DECR', KEYS[1]); redis.call('DECR', KEYS[2]); return 1
end
return 0
"""

OK, SECOND_FULL, DAY_FULL = 0, 1, 2


class RateLimiter:
    """`take(now)` counts one message if the provider's limits allow it."""

    def __init__(self, redis: Any, per_second: int, per_day: int,
                 prefix: str = "radar:rate") -> None:
        self._script = redis.register_script(_TAKE)
        self._per_second = per_second
        self._per_day = per_day
        self._prefix = prefix

    @property
    def unlimited(self) -> bool:
        return not self._per_second and not self._per_day

    def take(self, now: datetime) -> int:
        """OK, SECOND_FULL (try again within a second) or DAY_FULL (wait for tomorrow, UTC)."""
        if self.unlimited:
            return OK
        keys = [f"{self._prefix}:s:{int(now.timestamp())}",
                f"{self._prefix}:d:{now.date().isoformat()}"]
        return int(self._script(keys=keys, args=[self._per_second, self._per_day]))
