"""The group-commit writer: batches, keys that may not share one, and failures."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DataError, OperationalError

from callrail.group_commit import GroupCommit


class Recorder:
    """A ``write`` that records its batches; the first one waits until released, so
    that everything submitted meanwhile queues up behind it."""

    def __init__(self, fail_on=(), error=DataError):
        self.batches: list[list[str]] = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.fail_on = set(fail_on)
        self.error = error

    def __call__(self, items: list[str]) -> None:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.started.set()
            assert self.release.wait(10)
        if self.fail_on & set(items):
            raise self.error(f"cannot write {sorted(self.fail_on & set(items))}")


@pytest.fixture
def writers():
    made: list[GroupCommit] = []

    def make(write: Callable[[list[str]], None], **kwargs: Any) -> GroupCommit:
        writer = GroupCommit("test-writer", write, key=lambda item: item.split(":")[0], **kwargs)
        made.append(writer)
        return writer

    yield make
    for writer in made:
        writer.stop()


def submit_all(writer: GroupCommit, recorder: Recorder, items: list[str]) -> dict[str, BaseException | None]:
    """Submit the first item, wait until the writer is busy with it, then the others at once."""
    outcome: dict[str, BaseException | None] = {}

    def one(item: str) -> None:
        try:
            writer.submit(item)
            outcome[item] = None
        except Exception as exc:
            outcome[item] = exc

    threads = [threading.Thread(target=one, args=(items[0],))]
    threads[0].start()
    assert recorder.started.wait(10)
    for item in items[1:]:
        thread = threading.Thread(target=one, args=(item,))
        thread.start()
        threads.append(thread)
    deadline = time.monotonic() + 10
    while len(writer._queue) < len(items) - 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    recorder.release.set()
    for thread in threads:
        thread.join(10)
    return outcome


def test_what_queues_up_while_the_writer_is_busy_goes_in_one_batch(writers):
    recorder = Recorder()
    writer = writers(recorder)
    outcome = submit_all(writer, recorder, ["a", "b", "c", "d", "e"])
    assert outcome == dict.fromkeys("abcde")
    assert recorder.batches[0] == ["a"]
    assert sorted(recorder.batches[1]) == ["b", "c", "d", "e"]
    assert (writer.batches, writer.items) == (2, 5)


def test_items_with_the_same_key_never_share_a_batch(writers):
    recorder = Recorder()
    writer = writers(recorder)
    outcome = submit_all(writer, recorder, ["x:1", "y:1", "y:2", "z:1", "y:3"])
    assert all(error is None for error in outcome.values()) and len(outcome) == 5
    for batch in recorder.batches:
        keys = [item.split(":")[0] for item in batch]
        assert len(keys) == len(set(keys))
    assert sum(1 for batch in recorder.batches if any(item.startswith("y") for item in batch)) == 3


def test_a_bad_item_fails_alone(writers):
    recorder = Recorder(fail_on={"bad"})
    writer = writers(recorder)
    outcome = submit_all(writer, recorder, ["a", "b", "bad", "c"])
    assert isinstance(outcome["bad"], DataError)
    assert (outcome["a"], outcome["b"], outcome["c"]) == (None, None, None)
    # The batch with the bad item was tried whole, then item by item.
    assert sorted(recorder.batches[1]) == ["b", "bad", "c"]
    assert sorted(b[0] for b in recorder.batches[2:]) == ["b", "bad", "c"]
    assert writer.items == 3


def test_an_unreachable_database_fails_the_whole_batch_at_once(writers):
    recorder = Recorder(fail_on={"c"}, error=OperationalError)
    writer = writers(recorder)
    outcome = submit_all(writer, recorder, ["a", "b", "c", "d"])
    assert outcome["a"] is None
    assert all(isinstance(outcome[item], OperationalError) for item in "bcd")
    assert len(recorder.batches) == 2  # no retries one by one


def test_a_writer_that_takes_too_long_fails_the_wait_and_skips_the_item(writers):
    recorder = Recorder()
    writer = writers(recorder, timeout=0.2)
    errors = []

    def slow() -> None:
        try:
            writer.submit("slow")
        except OperationalError as exc:
            errors.append(exc)

    first = threading.Thread(target=slow)
    first.start()
    assert recorder.started.wait(10)
    with pytest.raises(OperationalError, match="not done within"):
        writer.submit("late")
    recorder.release.set()
    first.join(10)
    writer.submit("next")
    # "late" was given up and never written; "slow" was already being written when its wait ended.
    assert recorder.batches == [["slow"], ["next"]]
    assert len(errors) == 1


def test_a_stopped_writer_starts_again_on_the_next_submit(writers):
    written: list[str] = []
    writer = writers(written.extend)
    writer.submit("a")
    writer.stop()
    writer.submit("b")
    assert written == ["a", "b"]


def test_the_connection_is_checked_only_after_the_writer_was_idle(writers, monkeypatch):
    # Between batches that follow each other under load, a health check's round trip
    # would cost as much as the write.
    from django.db.backends.base.base import BaseDatabaseWrapper

    checks = []
    monkeypatch.setattr(BaseDatabaseWrapper, "close_if_unusable_or_obsolete", lambda self: checks.append(1))
    written: list[str] = []
    writer = writers(written.extend)
    writer.submit("a")
    writer.submit("b")
    assert (written, len(checks)) == (["a", "b"], 1)
    writer._last_write -= 2  # a quiet moment
    writer.submit("c")
    assert len(checks) == 2
