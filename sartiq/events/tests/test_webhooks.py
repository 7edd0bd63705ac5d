"""Webhooks to clients, against a receiver started by the test (a real HTTP server on 127.0.0.1):
signed deliveries the `standardwebhooks` package verifies, retries, refusals, disabling, rotation,
the test message, the fan-out's tenancy and the sweeper. The real worker: test_webhook_worker.py."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import httpx
import pytest
from django.db import connection, transaction
from django.utils import timezone
from standardwebhooks import Webhook, WebhookVerificationError

from sartiq.events import delivery, tasks, webhooks
from sartiq.events.api.serializers import EventPublicSerializer
from sartiq.events.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from sartiq.events.services import Subject, record
from sartiq.secrets import new_webhook_secret, seal
from tests.fake_http import FakeService

pytestmark = pytest.mark.django_db


class Receiver(FakeService):
    """A client's webhook receiver: answers `answers` in turn (then 200), keeps every request."""

    def __init__(self):
        super().__init__()
        self.answers: list[tuple] = []
        self.route("POST /hooks", self.receive)

    def receive(self, request):
        answer = self.answers.pop(0) if self.answers else (200, {"ok": True}, {})
        return answer(request) if callable(answer) else answer

    @property
    def hooks_url(self) -> str:
        return f"{self.url}/hooks"


@pytest.fixture
def receiver(settings):
    with Receiver() as service:
        settings.OUTBOUND_ALLOWED_HOSTS = [service.allowed]  # a local server: http and loopback allowed
        yield service


def endpoint_for(user, url, organization=None, events=("*",)) -> tuple[WebhookEndpoint, str]:
    endpoint = webhooks.endpoint_create(user=user, organization_id=organization and organization.pk,
                                        data={"url": url, "events": list(events)})
    return endpoint, endpoint.revealed_secret


def recorded(type_, *, owner=None, organization=None, **data) -> Event:
    with transaction.atomic():
        return record(type_, Subject(owner_id=owner and owner.pk, organization_id=organization and organization.pk),
                      data)


def fan_out(event) -> list[WebhookDelivery]:
    ids = delivery.fan_out_events([event.pk])
    return list(WebhookDelivery.objects.filter(pk__in=ids))


def verified(request, secret):
    """The body, if `secret` signed the request (standardwebhooks raises otherwise)."""
    return Webhook(secret).verify(request["raw"], request["headers"])


def hmac_verified(secret: str, headers, body: bytes) -> bool:
    """The recipe of docs/events.md ("Verifying the signature"), without the package."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    fresh = abs(time.time() - int(headers["webhook-timestamp"])) <= 300
    return fresh and any(hmac.compare_digest(expected, entry.partition(",")[2])
                         for entry in headers["webhook-signature"].split() if entry.startswith("v1,"))


def run_until_settled(delivery_id, limit=20):
    """Run the delivery's attempts as the task would, waiting out each retry (schedules are short here)."""
    for _ in range(limit):
        outcome = delivery.delivery_run(delivery_id=delivery_id)
        if outcome.state not in ("transient", "waiting"):
            return outcome
        time.sleep(outcome.retry_in + 0.01)
    raise AssertionError("the delivery did not settle")


# --- delivery -----------------------------------------------------------------------------------------
def test_an_event_reaches_the_endpoints_of_its_tenant_that_subscribe_to_it_signed(receiver, user, org, other_user):
    shots, shots_secret = endpoint_for(user, receiver.hooks_url, org, events=["shot.*"])
    endpoint_for(user, receiver.hooks_url, org, events=["push.*"])  # another type
    endpoint_for(user, receiver.hooks_url, events=["*"])  # the user's personal endpoint: not the organization's
    endpoint_for(other_user, receiver.hooks_url, events=["*"])  # another tenant
    event = recorded("shot.approved", owner=user, organization=org, note="looks right")

    (only,) = fan_out(event)
    assert (only.endpoint_id, only.message_id, only.status) == (shots.pk, event.uid, "PENDING")
    assert delivery.delivery_run(delivery_id=only.pk).state == "completed"

    (request,) = receiver.requests
    body = verified(request, shots_secret)
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert hmac_verified(shots_secret, headers, request["raw"])
    assert not hmac_verified(shots_secret, headers, request["raw"] + b" ")
    assert request["headers"]["webhook-id"] == str(event.uid)
    rendered = json.loads(json.dumps(EventPublicSerializer(event).data, default=str))
    assert body == {"type": "shot.approved", "timestamp": rendered["occurred_at"], "data": rendered}
    assert body["data"]["data"] == {"note": "looks right"}
    only.refresh_from_db()
    assert (only.status, only.attempts, only.last_status_code) == ("SUCCEEDED", 1, 200)
    (attempt,) = only.attempt_log.all()
    assert attempt.status_code == 200 and attempt.error == "" and attempt.duration_ms >= 0


def test_a_personal_event_reaches_the_owners_personal_endpoints_only(receiver, user, org, other_user):
    personal, secret = endpoint_for(user, receiver.hooks_url)
    endpoint_for(user, receiver.hooks_url, org)
    endpoint_for(other_user, receiver.hooks_url)
    (only,) = fan_out(recorded("shooting.created", owner=user))
    assert only.endpoint_id == personal.pk
    delivery.delivery_run(delivery_id=only.pk)
    assert verified(receiver.requests[0], secret)["type"] == "shooting.created"


def test_an_endpoint_receives_nothing_from_before_it_existed_nor_while_disabled(receiver, user):
    early = recorded("shooting.created", owner=user)
    endpoint, _ = endpoint_for(user, receiver.hooks_url)
    assert fan_out(early) == []
    webhooks.endpoint_update(user=user, instance=endpoint, data={"enabled": False})
    assert fan_out(recorded("shooting.updated", owner=user)) == []


def test_repeated_messages_change_nothing(receiver, user):
    endpoint_for(user, receiver.hooks_url)
    event = recorded("shooting.created", owner=user)
    (first,) = fan_out(event)
    assert delivery.fan_out_events([event.pk]) == []  # fanned out already
    assert delivery.delivery_run(delivery_id=first.pk).state == "completed"
    assert delivery.delivery_run(delivery_id=first.pk).state == "skipped"
    assert len(receiver.requests) == 1 and WebhookDelivery.objects.count() == 1


def test_server_errors_are_retried_on_the_schedule_until_the_endpoint_answers(receiver, user, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.05, 0.05, 0.05]
    endpoint, secret = endpoint_for(user, receiver.hooks_url)
    receiver.answers = [(500, {"error": "down"}, {}), (502, b"<html>bad gateway</html>", {"Content-Type": "text/html"})]
    (one,) = fan_out(recorded("generation.completed", owner=user))

    first = delivery.delivery_run(delivery_id=one.pk)
    assert (first.state, first.retry_in) == ("transient", 0.05)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    assert run_until_settled(one.pk).state == "completed"

    assert len(receiver.requests) == 3
    assert {request["headers"]["webhook-id"] for request in receiver.requests} == {str(one.message_id)}
    for request in receiver.requests:
        verified(request, secret)  # each attempt signed anew
    one.refresh_from_db()
    assert (one.status, one.attempts) == ("SUCCEEDED", 3)
    assert [(a.status_code, a.error) for a in one.attempt_log.all()] == [
        (500, "The endpoint answered 500"), (502, "The endpoint answered 502"), (200, "")]
    # What an allowed (operator-listed) host answered is shown as its status and JSON reason only.
    assert one.attempt_log.first().response_excerpt == "HTTP 500: down"
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None  # a success ends the failure clock


def test_network_errors_are_retried_and_the_schedule_ends_in_failed(user, settings):
    with FakeService() as closed:
        url = f"{closed.url}/hooks"
        settings.OUTBOUND_ALLOWED_HOSTS = [closed.allowed]
    settings.WEBHOOK_RETRY_SCHEDULE = [0.01, 0.01]
    endpoint_for(user, url)  # nothing listens there any more
    (one,) = fan_out(recorded("shooting.created", owner=user))
    assert run_until_settled(one.pk).state == "failed"
    one.refresh_from_db()
    assert (one.status, one.attempts) == ("FAILED", 3)
    assert one.last_error.startswith("Gave up after 3 attempts: The endpoint could not be reached")
    assert one.attempt_log.count() == 3


def test_429_waits_for_its_retry_after(receiver, user, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.05, 30]
    endpoint_for(user, receiver.hooks_url)
    receiver.answers = [(429, {"error": "slow down"}, {"Retry-After": "2"})]
    (one,) = fan_out(recorded("shooting.created", owner=user))
    outcome = delivery.delivery_run(delivery_id=one.pk)
    assert (outcome.state, outcome.retry_in) == ("transient", 2)
    one.refresh_from_db()
    assert timedelta(seconds=1.5) < one.next_attempt_at - timezone.now() <= timedelta(seconds=2)

    early = delivery.delivery_run(delivery_id=one.pk)  # a message before it is due sends nothing
    assert early.state == "waiting" and 0 < early.retry_in <= 2 and len(receiver.requests) == 1
    time.sleep(early.retry_in + 0.05)
    assert delivery.delivery_run(delivery_id=one.pk).state == "completed"
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_client_errors_fail_at_once(receiver, user, status):
    endpoint_for(user, receiver.hooks_url)
    receiver.answers = [(status, {"message": "no such hook"}, {})]
    (one,) = fan_out(recorded("shooting.created", owner=user))
    assert delivery.delivery_run(delivery_id=one.pk).state == "failed"
    one.refresh_from_db()
    assert (one.status, one.attempts, one.last_status_code) == ("FAILED", 1, status)
    assert one.last_error == f"The endpoint answered {status} (not retried: only 5xx and 429 are)"
    assert one.attempt_log.get().response_excerpt == f"HTTP {status}: no such hook"
    assert delivery.delivery_run(delivery_id=one.pk).state == "skipped" and len(receiver.requests) == 1


def test_a_redirect_is_not_followed(receiver, user):
    endpoint_for(user, receiver.hooks_url)
    receiver.answers = [(301, b"", {"Location": "http://169.254.169.254/latest/meta-data/"})]
    (one,) = fan_out(recorded("shooting.created", owner=user))
    assert delivery.delivery_run(delivery_id=one.pk).state == "failed"
    one.refresh_from_db()
    assert one.last_error == "The endpoint answered a redirect (301), which is not followed"
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("url, reason", [
    ("https://localhost:{port}/hooks", "The destination is not allowed: it is not a public internet address"),
    ("https://127.0.0.1:{port}/hooks", "The destination is not allowed: it is not a public internet address"),
    ("http://127.0.0.1:{port}/hooks", "Only https URLs are allowed (http only to hosts the operator allows)"),
])
def test_no_delivery_to_internal_addresses(user, settings, url, reason):
    """The endpoint was stored (a rule changed, or a name that resolved elsewhere when it was
    registered): the delivery fails for good, with the reason, and the address is never contacted."""
    settings.OUTBOUND_ALLOWED_HOSTS = []
    with Receiver() as internal:
        endpoint = WebhookEndpoint.objects.create(owner=user, url=url.format(port=internal.port), events=["*"],
                                                  secret=seal(new_webhook_secret()))
        (one,) = fan_out(recorded("shooting.created", owner=user))
        assert delivery.delivery_run(delivery_id=one.pk).state == "failed"
        assert internal.connections == 0 and internal.requests == []
    one.refresh_from_db()
    assert (one.status, one.attempts) == ("FAILED", 1)
    assert one.last_error == reason == one.attempt_log.get().error
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None  # counts as a failure of the endpoint


def test_an_endpoint_failing_for_the_whole_window_is_disabled(receiver, user, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [0.05] * 50
    settings.WEBHOOK_DISABLE_AFTER = 0.4
    endpoint, _ = endpoint_for(user, receiver.hooks_url)
    receiver.answers = [(503, {"error": "maintenance"}, {})] * 100
    (first,) = fan_out(recorded("shooting.created", owner=user))
    (waiting,) = fan_out(recorded("shooting.updated", owner=user))
    delivery.delivery_run(delivery_id=first.pk)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is not None  # failing, not for long enough yet

    assert run_until_settled(first.pk, limit=50).state == "failed"  # until the window has passed
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert endpoint.disabled_reason.startswith("Disabled automatically: every delivery failed since ")
    assert endpoint.disabled_reason.endswith("(last: The endpoint answered 503)")
    assert timezone.now() - endpoint.failing_since >= timedelta(seconds=0.4)
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.last_error == "The endpoint answered 503; the endpoint was then disabled"
    assert (waiting.status, waiting.last_error) == ("FAILED", "The endpoint was disabled")
    sent = len(receiver.requests)
    assert fan_out(recorded("shooting.updated", owner=user)) == []  # nothing new for a disabled endpoint
    assert delivery.delivery_run(delivery_id=waiting.pk).state == "skipped" and len(receiver.requests) == sent


def test_after_a_rotation_both_secrets_verify_until_the_grace_period_ends(receiver, user, settings):
    settings.WEBHOOK_SECRET_GRACE = 1.0
    endpoint, old = endpoint_for(user, receiver.hooks_url)
    new = webhooks.endpoint_rotate_secret(user=user, endpoint=endpoint).revealed_secret
    assert new != old and new.startswith("whsec_")

    delivery.delivery_run(delivery_id=fan_out(recorded("shooting.created", owner=user))[0].pk)
    during = receiver.requests[-1]
    assert len(during["headers"]["webhook-signature"].split(" ")) == 2
    verified(during, old)
    verified(during, new)

    time.sleep(1.05)
    delivery.delivery_run(delivery_id=fan_out(recorded("shooting.updated", owner=user))[0].pk)
    after = receiver.requests[-1]
    verified(after, new)
    with pytest.raises(WebhookVerificationError):
        verified(after, old)


def test_the_test_event_goes_to_this_endpoint_only_and_is_not_recorded(receiver, user, org):
    endpoint, secret = endpoint_for(user, receiver.hooks_url, org, events=["shot.approved"])
    endpoint_for(user, receiver.hooks_url, org)
    test = webhooks.endpoint_test(user=user, endpoint=endpoint)
    assert delivery.delivery_run(delivery_id=test.pk).state == "completed"
    (request,) = receiver.requests
    body = verified(request, secret)
    assert body["type"] == "webhook.test" and body["data"]["id"] == request["headers"]["webhook-id"]
    assert body["data"]["organization_id"] == str(org.pk)
    assert body["data"]["data"]["webhook_endpoint_id"] == str(endpoint.pk)
    assert set(body["data"]) == set(EventPublicSerializer.Meta.fields)  # shaped as every event
    assert not Event.objects.exists() and WebhookDelivery.objects.count() == 1


def test_a_failed_delivery_is_sent_again_on_request(receiver, user):
    endpoint, secret = endpoint_for(user, receiver.hooks_url)
    receiver.answers = [(400, {"message": "verification failed"}, {})]
    (one,) = fan_out(recorded("shooting.created", owner=user))
    assert delivery.delivery_run(delivery_id=one.pk).state == "failed"
    again = webhooks.delivery_retry(user=user, endpoint=endpoint, delivery_id=one.pk)
    assert (again.status, again.attempts, again.last_error) == ("PENDING", 0, "")
    assert delivery.delivery_run(delivery_id=one.pk).state == "completed"
    assert [a.status_code for a in one.attempt_log.all()] == [400, 200]
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]


@pytest.mark.django_db(transaction=True)
def test_an_endpoint_deleted_during_an_attempt_loses_the_attempt_quietly(receiver, user):
    endpoint, _ = endpoint_for(user, receiver.hooks_url)
    (one,) = fan_out(recorded("shooting.created", owner=user))

    def deleted_meanwhile(request):  # the tenant deletes the endpoint while the request is under way
        webhooks.endpoint_delete(user=user, instance=endpoint)
        connection.close()  # this server thread's own connection
        return 200, {}, {}

    receiver.answers = [deleted_meanwhile]
    assert delivery.delivery_run(delivery_id=one.pk).state == "skipped"
    assert len(receiver.requests) == 1
    assert not WebhookEndpoint.objects.exists() and not WebhookAttempt.objects.exists()


# --- hook, sweeper, what the tenant sees -------------------------------------------------------------
def test_the_hook_survives_a_broker_that_refuses_the_message(monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.fan_out, "delay", refuse)
    delivery.events_recorded([1, 2])  # no exception: the sweeper sends it later
    assert "the sweeper will send it" in caplog.text


def test_the_sweeper_sends_what_lost_messages_left(receiver, user, monkeypatch):
    endpoint, _ = endpoint_for(user, receiver.hooks_url)
    lost, fresh = recorded("shooting.created", owner=user), recorded("shooting.updated", owner=user)
    past = timezone.now() - timedelta(minutes=5)
    Event.objects.filter(pk=lost.pk).update(occurred_at=past)
    assert delivery.events_not_fanned_out() == [lost.pk]  # the fresh one still has its own message

    due = WebhookDelivery.objects.create(endpoint=endpoint, message_id=lost.uid, event=lost, event_type=lost.type,
                                         next_attempt_at=past)
    dead = WebhookDelivery.objects.create(endpoint=endpoint, message_id=fresh.uid, event=fresh, event_type=fresh.type,
                                          status="SENDING", lease_until=timezone.now() - timedelta(seconds=1))
    WebhookDelivery.objects.create(endpoint=endpoint, message_id=lost.uid, event_type="webhook.test", payload={},
                                   next_attempt_at=timezone.now())  # just created: its message is on the way
    WebhookDelivery.objects.create(endpoint=endpoint, message_id=lost.uid, event_type="webhook.test", payload={},
                                   status="SENDING", lease_until=timezone.now() + timedelta(minutes=1))
    assert set(delivery.deliveries_due()) == {str(due.pk), str(dead.pk)}

    sent = []
    monkeypatch.setattr(tasks.fan_out, "delay", lambda ids: sent.append(("fan_out", ids)))
    monkeypatch.setattr(tasks.deliver_webhook, "delay", lambda pk: sent.append(("deliver", pk)))
    assert tasks.sweep_webhooks.apply().get() == 3
    assert sorted(sent, key=str) == sorted([("fan_out", [lost.pk]), ("deliver", str(due.pk)),
                                            ("deliver", str(dead.pk))], key=str)


def test_the_task_retries_soon_by_itself_and_leaves_late_retries_to_the_sweeper(receiver, user, settings):
    settings.WEBHOOK_RETRY_SCHEDULE = [delivery.REQUEUE_WITHIN + 1]
    endpoint_for(user, receiver.hooks_url)
    receiver.answers = [(500, {}, {})]
    (one,) = fan_out(recorded("shooting.created", owner=user))
    assert tasks.deliver_webhook.apply(args=[str(one.pk)]).get() == "transient"  # not re-sent: too far ahead
    one.refresh_from_db()
    assert one.status == "PENDING" and one.next_attempt_at > timezone.now() + timedelta(seconds=600)


def test_a_public_receivers_answer_is_shown_cleaned_an_internal_ones_only_as_status_and_reason(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["hooks.internal:8080"]
    answer = httpx.Response(500, content=b"<h1>Oops</h1>\n\x1b[31m" + b"x" * 400, headers={"Content-Type": "text/html"})
    shown = delivery.excerpt(answer, "https://hooks.example.com/receive")
    assert shown.startswith("<h1>Oops</h1> [31mxxx") and len(shown) == 200 and "\x1b" not in shown
    assert delivery.excerpt(answer, "http://hooks.internal:8080/receive") == "HTTP 500"


def test_a_bug_fails_the_delivery_visibly_instead_of_retrying_forever(receiver, user, monkeypatch):
    endpoint_for(user, receiver.hooks_url)
    (one,) = fan_out(recorded("shooting.created", owner=user))
    monkeypatch.setattr(delivery, "body_of", lambda delivery: 1 / 0)
    assert delivery.delivery_run(delivery_id=one.pk).state == "failed"
    one.refresh_from_db()
    assert (one.status, one.last_error, one.claim_token) == ("FAILED", "Internal error: ZeroDivisionError", None)
    assert receiver.requests == []


@pytest.mark.parametrize("status, state", [(200, "completed"), (503, "transient"), (404, "failed")])
def test_an_answer_too_large_to_read_is_judged_by_its_status(receiver, user, settings, status, state):
    settings.WEBHOOK_MAX_RESPONSE_BYTES = 100
    endpoint_for(user, receiver.hooks_url)
    receiver.answers = [(status, b"x" * 1000, {"Content-Type": "text/plain"})]
    (one,) = fan_out(recorded("shooting.created", owner=user))
    assert delivery.delivery_run(delivery_id=one.pk).state == state
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == status
    assert attempt.response_excerpt == f"HTTP {status}, not read: answered more than 100 bytes"


def test_a_secret_that_cannot_be_decrypted_fails_the_delivery_without_sending(receiver, user):
    endpoint, _ = endpoint_for(user, receiver.hooks_url)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret="fernet:not-a-token")
    (one,) = fan_out(recorded("shooting.created", owner=user))
    assert delivery.delivery_run(delivery_id=one.pk).state == "failed"
    one.refresh_from_db()
    assert one.last_error == ("The endpoint's secret cannot be decrypted (the server's encryption key changed): "
                              "rotate the secret")
    assert receiver.requests == []
