"""The event log itself: recorded in the change's transaction, and a feed whose cursor loses
nothing when transactions commit in another order than they wrote."""
from __future__ import annotations

import threading

import psycopg
import pytest
from django.db import connection, transaction

from sartiq.events import actors
from sartiq.events.models import Event
from sartiq.events.selectors import cursor_of, feed, parse_cursor
from sartiq.events.services import EventOutsideTransaction, Subject, record

pytestmark = pytest.mark.django_db(transaction=True)


def subject(user):
    return Subject(owner_id=user.pk)


def test_an_event_commits_with_its_change_and_rolls_back_with_it(user):
    with transaction.atomic():
        record("shooting.created", subject(user), {"name": "kept"})
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            record("shooting.created", subject(user), {"name": "rolled back"})
            raise RuntimeError("the change failed")
    assert list(Event.objects.values_list("data__name", flat=True)) == ["kept"]


def test_recording_outside_a_transaction_is_refused(user):
    with pytest.raises(EventOutsideTransaction):
        record("shooting.created", subject(user))
    assert not Event.objects.exists()


def test_the_actor_is_whoever_the_context_names(user):
    with transaction.atomic():
        record("shooting.created", subject(user))
        with actors.acting(actors.Actor(actors.PROVIDER, name="fashn")):
            record("generation.completed", subject(user))
    system, provider = Event.objects.order_by("id")
    assert (system.actor_type, system.actor_id) == ("system", None)
    assert (provider.actor_type, provider.actor_name) == ("provider", "fashn")


def _dsn():
    settings = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"], user=settings["USER"] or None, host=settings["HOST"] or None,
        port=settings["PORT"] or None)


def _insert_event(cursor, user, name):
    cursor.execute(
        "INSERT INTO events_event (uid, type, occurred_at, actor_type, actor_id, actor_name, owner_id, data)"
        " VALUES (gen_random_uuid(), 'shooting.updated', now(), 'system', NULL, '', %s, %s::jsonb)",
        [user.pk, f'{{"name": "{name}"}}'])


def _read_all(user, after=None):
    events = list(feed(user, after=after))
    return [event.data["name"] for event in events], (cursor_of(events[-1]) if events else after)


def test_the_feed_waits_for_an_earlier_transaction_instead_of_skipping_it(user):
    """A writes first (lower id, earlier transaction) and commits last: a reader that moved past B
    must still get A. With a cursor on ids alone, A would be lost."""
    early = psycopg.connect(_dsn())
    try:
        with early.cursor() as cursor:
            cursor.execute("BEGIN")
            _insert_event(cursor, user, "A")  # open: its transaction id is older than B's
            with transaction.atomic():
                record("shooting.updated", subject(user), {"name": "B"})
            seen, cursor_after = _read_all(user)
            assert seen == []  # B waits: a transaction older than it is still running
            cursor.execute("COMMIT")
        seen, cursor_after = _read_all(user, cursor_after)
        assert seen == ["A", "B"]
        assert _read_all(user, cursor_after)[0] == []
    finally:
        early.close()


def test_concurrent_writers_lose_nothing_and_repeat_nothing(user):
    """Eight writers commit 200 events in overlapping transactions while a reader follows the
    feed: the reader ends with every event exactly once."""
    written = 200

    def writer(index):
        with psycopg.connect(_dsn(), autocommit=False) as conn, conn.cursor() as cursor:
            for n in range(written // 8):
                _insert_event(cursor, user, f"{index}-{n}")
                if n % 3 == 0:
                    conn.commit()
            conn.commit()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    seen, after = [], None
    while any(thread.is_alive() for thread in threads) or len(seen) < written:
        batch, after = _read_all(user, after)
        seen += batch
        if not batch and not any(thread.is_alive() for thread in threads):
            batch, after = _read_all(user, after)
            seen += batch
            break
    assert len(seen) == written and len(set(seen)) == written


def test_a_cursor_is_checked():
    assert parse_cursor("12_34") == (12, 34)
    from sartiq.errors import BusinessRuleError

    for bad in ("", "12", "a_b", "1_2_3", "1" * 30 + "_1"):
        with pytest.raises(BusinessRuleError):
            parse_cursor(bad)
