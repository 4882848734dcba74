"""RQ's workers, made to stop at once.

An RQ worker listens for commands (stop, kill a job) on a Redis pubsub thread that reads with
a 60-second timeout. redis-py 8's `PubSubWorkerThread.stop()` waits for that thread, and after
RQ unsubscribes the thread waits up to the whole timeout for a subscription that never comes:
a burst worker, or `medsync worker` stopping, hung for up to a minute (the three ~60 s stalls
in the full test suite). Reading with a one-second timeout costs one idle Redis read a second
and lets every worker stop within a second.
"""

from __future__ import annotations

from rq import SimpleWorker as RQSimpleWorker
from rq import Worker as RQWorker
from rq.worker.base import BaseWorker

PUBSUB_READ_SECONDS = 1


class _QuickToStop(BaseWorker):
    def subscribe(self) -> None:
        """RQ's subscribe, with a short read on the command channel."""
        self.pubsub = self.connection.pubsub()
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
        self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
            sleep_time=PUBSUB_READ_SECONDS,
            daemon=True,
            exception_handler=self._pubsub_exception_handler,
        )


class Worker(_QuickToStop, RQWorker):
    """RQ's forking worker: each job in a work horse of its own."""


class SimpleWorker(_QuickToStop, RQSimpleWorker):
    """RQ's worker that runs each job in the worker's own process, without a fork."""
