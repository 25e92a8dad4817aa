"""Names in Redis shared by the tasks and `radar status`."""

QUEUE = "celery"  # Celery's default queue: a Redis list
BEAT_LOCK = "redbeat::lock"  # held by the one beat that schedules
BEAT_SCHEDULE = "redbeat::schedule"  # RedBeat's schedule: there once a beat has run
QUEUED_PREFIX = "radar:queued:"  # + digest id: a send task for it is in the queue
DISPATCH_LOCK = "radar:dispatching"  # held while one dispatch opens and queues digests
