"""Webhooks on a real Celery worker (a subprocess) and a real Redis broker: an event recorded in a
committed transaction reaches the receiver, signed; one in a rolled-back transaction reaches nobody."""
from __future__ import annotations

import time

import pytest
from django.db import transaction
from standardwebhooks import Webhook

from sartiq.events import webhooks
from sartiq.events.models import Event, WebhookDelivery
from sartiq.events.services import Subject, record
from sartiq.events.tests.test_webhooks import Receiver
from tests import test_async_worker as on_worker
from tests.test_async_worker import celery_worker, wait_for

broker = on_worker.broker  # the fixture: this process's Celery app on the test's Redis
pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]


def test_a_committed_event_is_delivered_signed_by_the_worker_and_a_rolled_back_one_never(user, broker, tmp_path,
                                                                                         settings):
    with Receiver() as receiver:
        settings.OUTBOUND_ALLOWED_HOSTS = [receiver.allowed]  # the test process validates the URL
        endpoint = webhooks.endpoint_create(user=user, organization_id=None,
                                            data={"url": receiver.hooks_url, "events": ["shot.*"]})
        with celery_worker(broker, tmp_path, concurrency=2, OUTBOUND_ALLOWED_HOSTS=receiver.allowed) as worker:
            with pytest.raises(RuntimeError):
                with transaction.atomic():
                    record("shot.rejected", Subject(owner_id=user.pk), {"note": "rolled back"})
                    raise RuntimeError("the change failed")
            with transaction.atomic():
                event = record("shot.approved", Subject(owner_id=user.pk), {"note": "committed"})
            wait_for(lambda: WebhookDelivery.objects.filter(status="SUCCEEDED").exists(), worker=worker,
                     what="the delivery")
            time.sleep(1)  # anything else the worker would send
        (request,) = receiver.requests
        body = Webhook(endpoint.revealed_secret).verify(request["raw"], request["headers"])
        assert request["headers"]["webhook-id"] == str(event.uid)
        assert (body["type"], body["data"]["data"]) == ("shot.approved", {"note": "committed"})
    assert list(Event.objects.values_list("type", "fanned_out")) == [("shot.approved", True)]
    assert WebhookDelivery.objects.get().attempt_log.get().status_code == 200
