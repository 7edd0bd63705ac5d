"""Real races for the concurrency suite: requests sent through the API at the same moment by
threads, each with its own database connection (Django's are per thread), against the real
PostgreSQL. A race is run for many rounds; each round must end in a state a user could have
reached with the requests one after the other, and no request may answer 500."""
from __future__ import annotations

import threading
import traceback

from django.db import connection

# Rounds per race: enough that an unguarded race shows (the export race failed 10 of 15 runs, the
# owners race 2 of 5), few enough for CI (each round is a few tens of milliseconds).
ROUNDS = 15


def at_once(*requests):
    """Run the request functions in threads released together by a barrier; their results, in
    order. An exception in a thread is returned in its place (a test then fails naming it)."""
    barrier = threading.Barrier(len(requests))
    results = [None] * len(requests)

    def run(index, request):
        try:
            barrier.wait()
            results[index] = request()
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
            results[index] = RaceError(exc, traceback.format_exc())
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, r)) for i, r in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a request never finished (a lock wait?)"
    return results


class RaceError:
    def __init__(self, exc, text):
        self.exc, self.text = exc, text
        self.status_code = None

    def __repr__(self):
        return f"<exception in a thread: {self.text}>"


def statuses(responses) -> list:
    """Status codes; an exception raised in a thread (the test client re-raises a view's) shows as
    its traceback, so that a failing assertion says what broke."""
    return [r.text if isinstance(r, RaceError) else r.status_code for r in responses]
