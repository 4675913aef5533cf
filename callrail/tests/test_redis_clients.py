"""Each thread has its own Redis client and connection, from one pool per process."""

import threading

from callrail.redis import get_redis


def test_each_thread_keeps_its_own_client_and_connection():
    mine = get_redis()
    assert get_redis() is mine
    others: list = []

    def other() -> None:
        client = get_redis()
        client.ping()
        others.append((client, client.connection))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    mine.ping()
    ((theirs, their_connection),) = others
    assert theirs is not mine and their_connection is not mine.connection
    assert theirs.connection_pool is mine.connection_pool


def test_a_shared_client_is_still_safe_across_threads():
    client = get_redis()
    client.delete("test:shared")

    def add() -> None:
        for _ in range(200):
            client.incr("test:shared")

    threads = [threading.Thread(target=add) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert client.get("test:shared") == b"1600"
