"""Optional background journal writer (``llm.journal_async``): one transaction per burst.

With the synchronous journal (the default) every call commits its own row before it returns:
simplest to reason about, but on SQLite thirty-two threads then queue on one write lock. The
async writer takes rows from a queue and inserts whatever has accumulated in one transaction.
What keeps it honest:

* every read of the journal in this package (usage, cache, replay) flushes first, so a process
  always sees its own calls;
* budget reservations are released only after the row is committed, so spend is never
  under-counted in between;
* the queue is flushed at interpreter exit; a crash can lose at most the rows of the last burst
  (milliseconds) — that is the trade, and why it is opt-in.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any

import sqlalchemy as sa

from iza.kernel.store import Store

__all__ = ["JournalWriter", "flush_journal", "writer_for"]

logger = logging.getLogger(__name__)

_BATCH = 500


class JournalWriter:
    """A queue and a daemon thread inserting ``llm_calls`` rows for one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: SimpleQueue[tuple[dict[str, Any], Callable[[], None] | None]] = SimpleQueue()
        self._pending = 0
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="iza-llm-journal", daemon=True)
        self._thread.start()

    def submit(self, values: dict[str, Any], done: Callable[[], None] | None = None) -> None:
        with self._cond:
            self._pending += 1
        self._queue.put((values, done))

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every submitted row is committed (or failed); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    def _loop(self) -> None:
        from iza.llm._journal import SPEND_LOCK, CallRow

        while True:
            batch = [self._queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except Empty:
                    break
            with SPEND_LOCK:
                try:
                    with self.store.transaction() as session:
                        session.execute(sa.insert(CallRow), [values for values, _ in batch])
                except Exception:  # the writer must survive a bad moment of the database
                    logger.exception("LLM journal: %d rows could not be written", len(batch))
                finally:
                    for _, done in batch:
                        if done is not None:
                            done()
            with self._cond:
                self._pending -= len(batch)
                self._cond.notify_all()


_WRITERS: dict[str, JournalWriter] = {}
_LOCK = threading.Lock()


def writer_for(store: Store) -> JournalWriter:
    with _LOCK:
        writer = _WRITERS.get(store.url)
        if writer is None:
            writer = _WRITERS[store.url] = JournalWriter(store)
        return writer


def flush_journal(store: Store) -> None:
    """Make this process's queued rows for ``store`` visible (no-op without an async writer)."""
    writer = _WRITERS.get(store.url)
    if writer is not None:
        writer.flush()


@atexit.register
def _flush_all() -> None:
    for writer in list(_WRITERS.values()):
        writer.flush(timeout=10.0)
