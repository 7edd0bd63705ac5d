"""Two transactions changing different looks of one shooting at once: the shooting's statuses, which
each statement recomputes over the whole shooting, include both changes (sartiq/read_versions.py:
the refresh locks the shooting before it reads, so the second reads what the first committed)."""
import threading
import time

import pytest
from django.db import connection, transaction

from integrations.models import ExternalImagePush, ExternalIntegration
from integrations.pushing import push_give_up
from sartiq.accounts.tests.factories import UserFactory
from shootings.locking import lock_shooting
from shootings.models import Shooting
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.models import ShotRevision
from shots.selectors import RANK

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_writes_without_the_tree_lock_still_leave_both_changes_in_the_statuses():
    for _ in range(3):
        shooting = ShootingFactory(owner=UserFactory())
        first, second = (add_revision(ShotFactory(shooting_look=LookFactory(shooting=shooting, status="READY")),
                                      "PROPOSAL") for _ in range(2))
        first_updated = threading.Event()

        def approve(revision, first_updated, *, first_one):
            try:
                with transaction.atomic():  # a bare update, as a bulk admin action or a script would
                    if not first_one:
                        first_updated.wait(10)
                    ShotRevision.objects.filter(pk=revision.pk).update(shot_status="APPROVED")
                    if first_one:
                        first_updated.set()
                        time.sleep(0.3)  # the second update starts (and waits) meanwhile
            finally:
                connection.close()

        threads = [threading.Thread(target=approve, args=(first, first_updated), kwargs={"first_one": True}),
                   threading.Thread(target=approve, args=(second, first_updated), kwargs={"first_one": False})]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        row = Shooting.objects.values("shot_status_rank", "status_rank").get(pk=shooting.pk)
        assert row == {"shot_status_rank": RANK["APPROVED"], "status_rank": RANK["APPROVED"]}


def test_a_worker_releasing_a_push_waits_for_the_tree_instead_of_deadlocking_with_an_export():
    """The trigger locks the shooting after a write under it. A worker writing its push first and an
    export holding the shooting while it locks the push would wait for each other (a deadlock
    error); the worker locks the tree first (sartiq.locking.lock_tree), so it waits its turn."""
    user = UserFactory()
    shooting = ShootingFactory(owner=user)
    revision = add_revision(ShotFactory(shooting_look=LookFactory(shooting=shooting)), "APPROVED")
    push = ExternalImagePush.objects.create(revision=revision,
                                            integration=ExternalIntegration.objects.create(owner=user, name="OVS"))
    tree_locked, errors = threading.Event(), []

    def export():
        try:
            with transaction.atomic():
                lock_shooting(shooting.pk)
                tree_locked.set()
                time.sleep(0.3)  # the worker's write starts meanwhile
                list(ExternalImagePush.objects.select_for_update().filter(revision=revision))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    def worker():
        try:
            tree_locked.wait(10)
            push_give_up(push.pk, "gave up")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=export), threading.Thread(target=worker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert ExternalImagePush.objects.get(pk=push.pk).push_status == "FAILED"
