"""Work spread over several concurrent sender sessions (one SMTP connection each).

On a remote server every message waits several round trips; one session alone mostly
idles, so a batch goes out over `sessions` of them at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from worker.mail import Sender

Job = TypeVar("Job")


async def over_sessions(make_sender: Callable[[], Sender], jobs: Sequence[Job], sessions: int,
                        work: Callable[[Sender, Job], Awaitable[bool]]) -> int:
    """Run `work(sender, job)` for the jobs in order over up to `sessions` sessions; `work`
    returns False to stop every session (the server is unreachable). Returns jobs done."""
    queue = list(reversed(jobs))
    stopped = False
    done = 0

    async def session() -> None:
        nonlocal stopped, done
        async with make_sender() as sender:
            while queue and not stopped:
                job = queue.pop()
                done += 1
                if not await work(sender, job):
                    stopped = True

    await asyncio.gather(*(session() for _ in range(min(sessions, len(jobs)))))
    return done
