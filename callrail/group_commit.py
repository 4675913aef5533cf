"""Group commit: the writes of many request threads in one statement and one transaction.

A web process answers several requests at once, and on a busy DNI endpoint
several of them want to store a new visit at the same moment. Each would cost
PostgreSQL a statement and a transaction of its own, and most of that cost is
per statement, not per row: four visits in one multi-row statement cost the
database about as much as two written one by one.

``GroupCommit.submit(item)`` hands an item to the process's writer thread and
waits until it is committed (or raises the error that stopped it), so a caller
answers only once its write is durable, exactly as if it had written it itself.
The writer takes whatever has queued up while it was busy, so there is no added
wait when the process is quiet (a batch of one goes at once) and batches grow
with the load. Items with the same key never share a batch (a multi-row upsert
may not touch one row twice). When a batch fails on bad data, its items are
written one by one, so one bad item fails alone; when the database is
unreachable, every item in the batch gets the error.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

T = TypeVar("T")

# A writer idle for longer than this checks its connection before the next batch.
IDLE_CHECK_SECONDS = 1.0


class _Waiter(Generic[T]):
    __slots__ = ("item", "key", "signal", "finished", "error", "abandoned")

    def __init__(self, item: T, key: Hashable) -> None:
        self.item = item
        self.key = key
        # A lock taken now and released by the writer: the cheapest one-shot signal.
        self.signal = threading.Lock()
        self.signal.acquire()
        self.finished = False
        self.error: BaseException | None = None
        self.abandoned = False

    def finish(self, error: BaseException | None) -> None:
        self.error = error
        self.finished = True
        self.signal.release()


class GroupCommit(Generic[T]):
    """A writer thread per process that writes submitted items in batches.

    ``write(items)`` runs in the writer thread, on its own database connection in
    autocommit mode: one call is one transaction (a single statement is). ``key``
    tells items that may not share a batch apart.
    """

    def __init__(
        self,
        name: str,
        write: Callable[[list[T]], None],
        *,
        key: Callable[[T], Hashable],
        max_batch: int = 64,
        timeout: float = 30.0,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        self.name = name
        self.write = write
        self.key = key
        self.max_batch = max_batch
        self.timeout = timeout
        self.using = using
        self._ready = threading.Condition(threading.Lock())
        self._queue: deque[_Waiter[T]] = deque()
        self._pid = 0
        self._running = False
        self._thread: threading.Thread | None = None
        self.batches = self.items = 0  # written so far in this process, for benchmarks and tests
        self._last_write = 0.0

    def submit(self, item: T) -> None:
        """Write ``item`` with whatever else is waiting; return once it is committed.

        Raises the database error that stopped it, or ``OperationalError`` if the
        writer has not written it within ``timeout`` seconds (it is then dropped
        unless already being written).
        """
        waiter = _Waiter(item, self.key(item))
        with self._ready:
            if not self._running or self._pid != os.getpid():
                self._start()
            self._queue.append(waiter)
            self._ready.notify()
        if not waiter.signal.acquire(timeout=self.timeout):
            with self._ready:
                waiter.abandoned = True
            if not waiter.finished:
                raise OperationalError(f"{self.name}: the write was not done within {self.timeout:g} s")
        if waiter.error is not None:
            raise waiter.error

    def stop(self) -> None:
        """Let the writer finish what is queued, close its connection and end (the next
        ``submit`` starts a new one). For tests, which drop their database afterwards."""
        with self._ready:
            thread = self._thread
            if not self._running or self._pid != os.getpid() or thread is None:
                return
            self._running = False
            self._ready.notify()
        thread.join()

    def _start(self) -> None:
        # First use in this process (a forked worker does not inherit the parent's thread).
        self._pid = os.getpid()
        self._queue.clear()
        self._running = True
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _take(self) -> list[_Waiter[T]] | None:
        with self._ready:
            while not self._queue:
                if not self._running:
                    return None
                self._ready.wait()
            batch: list[_Waiter[T]] = []
            keys: set[Hashable] = set()
            later: list[_Waiter[T]] = []
            while self._queue and len(batch) < self.max_batch:
                waiter = self._queue.popleft()
                if waiter.abandoned:
                    continue
                if waiter.key in keys:
                    later.append(waiter)  # the next batch, in order
                    continue
                keys.add(waiter.key)
                batch.append(waiter)
            self._queue.extendleft(reversed(later))
            return batch

    def _run(self) -> None:
        while (batch := self._take()) is not None:
            try:
                self._write(batch)
            except BaseException as exc:  # never let the writer die: its callers would wait forever
                logger.exception("%s: writing a batch failed", self.name)
                for waiter in batch:
                    if not waiter.finished:
                        waiter.finish(exc)
        connections[self.using].close()

    def _write(self, batch: list[_Waiter[T]]) -> None:
        connection = connections[self.using]
        now = time.monotonic()
        past_max_age = connection.close_at is not None and now >= connection.close_at
        if now - self._last_write > IDLE_CHECK_SECONDS or past_max_age:
            # What Django does between two requests (close a connection that is broken or
            # past CONN_MAX_AGE; health-check it on next use), but not between batches that
            # follow each other under load, where the check's round trip would cost as much
            # as the write.
            connection.close_if_unusable_or_obsolete()
        try:
            self.write([waiter.item for waiter in batch])
        except (OperationalError, InterfaceError) as exc:
            # The database is unreachable: every item would fail the same way.
            connection.close_if_unusable_or_obsolete()
            self._finish(batch, exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                self._finish(batch, exc)
                return
            # Bad data in one item: write them one by one, so only that one fails.
            for waiter in batch:
                try:
                    self.write([waiter.item])
                except Exception as one:
                    self._finish([waiter], one)
                else:
                    self._count(1)
                    self._finish([waiter], None)
            return
        self._count(len(batch))
        self._finish(batch, None)
        self._last_write = time.monotonic()

    def _count(self, items: int) -> None:
        self.batches += 1
        self.items += items

    @staticmethod
    def _finish(batch: list[_Waiter[T]], error: BaseException | None) -> None:
        for waiter in batch:
            waiter.finish(error)
