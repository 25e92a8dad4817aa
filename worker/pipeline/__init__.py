"""One cycle: poll sources → store new items → match → open due digests → send.

    cycle.py     run_cycle, poll_and_match, match_items: the steps in order
    poll.py      poll sources concurrently; record failures, gone and empty sources
    fresh.py     which fetched items are new; near-duplicates and copies (decided in memory)
    deliver.py   open due digests, claim, send, record each outcome
    outcomes.py  what a send's outcome means for the digest and subscriber (pure)
    alerts.py    mail to ops about a source that needs a person

Plain functions over a `worker.runtime.Runtime` holding every dependency; the CLI and the
Celery tasks are thin shells that read the clock once and call these. Nothing is imported
here, so a process loads only the steps it runs.
"""
