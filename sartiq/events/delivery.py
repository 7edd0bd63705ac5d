"""Webhooks in the workers: committed events fanned out to the endpoints that subscribe to them, one
delivery task per delivery, signed (Standard Webhooks) and sent through the guarded outbound client,
retried on the schedule of WEBHOOK_RETRY_SCHEDULE. docs/events.md, "Webhooks".

- Fan-out: `record` calls `events_recorded` after commit (registered in apps.py), which enqueues
  `events.fan_out`. The task claims the events (`fanned_out`, under a row lock) and creates their
  deliveries in the same transaction, so a repeated message creates nothing; the sweeper sends the
  events a lost message left unclaimed.
- Delivery: claimed as every piece of work (sartiq/work.py): one UPDATE with a token and a lease,
  only when due. Each attempt is recorded with its outcome in one transaction that also moves the
  delivery (SUCCEEDED, PENDING for the next attempt, FAILED) and the endpoint's failure clock; an
  endpoint failing for WEBHOOK_DISABLE_AFTER is disabled, its waiting deliveries FAILED.
- At least once: a worker that dies after the request and before recording it sends the event
  again when its lease ends; receivers dedupe by `webhook-id`. Order is not kept (retries overtake).
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from standardwebhooks import Webhook

from sartiq import outbound
from sartiq.errors import DomainError
from sartiq.events import tasks
from sartiq.events.catalogue import subscribed
from sartiq.events.choices import DeliveryStatus
from sartiq.events.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from sartiq.events.payloads import webhook_payload
from sartiq.locking import lock_rows
from sartiq.secrets import reveal
from sartiq.work import Outcome, claim, release

logger = logging.getLogger(__name__)

# A retry due within this many seconds is sent again by the task itself (a countdown); later ones
# by the sweeper, which sends what is due every minute (a message held for hours would outlive the
# broker's visibility timeout and come back early).
REQUEUE_WITHIN = 600
# The sweeper leaves this long to the message sent when an event commits or a delivery is created.
SWEEP_GRACE = timedelta(seconds=60)
SWEEP_BATCH = 1000
FAN_OUT_BATCH = 200
USER_AGENT = "Sartiq-Webhooks/1.0"


# --- fan-out ----------------------------------------------------------------------------------------
def events_recorded(event_ids: list[int]) -> None:
    """The `on_recorded` hook (after commit): fan the events out in a worker. A broker that cannot
    take the message does not fail the request whose change already committed: the sweeper sends
    the events later."""
    try:
        tasks.fan_out.delay(list(event_ids))
    except Exception:  # the broker is down or misconfigured
        logger.warning("Webhook fan-out of events %s not enqueued; the sweeper will send it", event_ids[:10],
                       exc_info=True)


def _serves(endpoint: WebhookEndpoint, event: Event) -> bool:
    """The endpoint's tenant is the event's (an organization's endpoints for its events, a user's
    personal ones for their personal events), it subscribes to the type, and it existed when the
    event happened (registering an endpoint replays nothing: the feed has the past)."""
    if event.organization_id is not None:
        same_tenant = endpoint.organization_id == event.organization_id
    else:
        same_tenant = endpoint.organization_id is None and endpoint.owner_id == event.owner_id
    return same_tenant and subscribed(endpoint.events, event.type) and endpoint.created_at <= event.occurred_at


def fan_out_events(event_ids) -> list[str]:
    """Create the deliveries of these events (those not fanned out yet) and enqueue them; returns
    the new deliveries' ids."""
    with transaction.atomic():
        # Claimed under a row lock: a concurrent run of the same message skips these rows, a later one
        # finds them fanned out.
        events = list(Event.objects.filter(pk__in=list(event_ids), fanned_out=False)
                      .select_for_update(skip_locked=True).order_by("id"))
        if not events:
            return []
        Event.objects.filter(pk__in=[event.pk for event in events]).update(fanned_out=True)
        organizations = {event.organization_id for event in events if event.organization_id is not None}
        owners = {event.owner_id for event in events if event.organization_id is None and event.owner_id}
        endpoints = list(WebhookEndpoint.objects.filter(enabled=True).filter(
            Q(organization_id__in=organizations) | Q(organization__isnull=True, owner_id__in=owners)))
        now = timezone.now()
        deliveries = [WebhookDelivery(endpoint=endpoint, event=event, message_id=event.uid, event_type=event.type,
                                      next_attempt_at=now)
                      for event in events for endpoint in endpoints if _serves(endpoint, event)]
        WebhookDelivery.objects.bulk_create(deliveries)
        ids = [str(delivery.pk) for delivery in deliveries]
        transaction.on_commit(lambda: enqueue(ids))
    return ids


def enqueue(delivery_ids) -> None:
    for pk in delivery_ids:
        tasks.deliver_webhook.delay(str(pk))


# --- one delivery ------------------------------------------------------------------------------------
def _held(delivery_id, token):
    return WebhookDelivery.objects.filter(pk=delivery_id, claim_token=token, status=DeliveryStatus.SENDING)


def delivery_claim(delivery_id) -> uuid.UUID | Outcome:
    """The delivery, for one attempt now, if it is due (or its worker died); else "busy" (another
    worker's attempt), "waiting" (due later: `retry_in`) or "skipped" (done, or gone)."""
    token = claim(
        WebhookDelivery.objects.filter(pk=delivery_id),
        claimable=lambda now: Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, lease_until__lt=now),
        held=Q(status=DeliveryStatus.SENDING),
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1,
    )
    if isinstance(token, Outcome) and token.state == "skipped":
        due = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.PENDING).values_list(
            "next_attempt_at", flat=True).first()
        if due is not None:  # a retry's message came early (or a duplicate): look again when due
            return Outcome("waiting", retry_in=max(0.0, (due - timezone.now()).total_seconds()))
    return token


def body_of(delivery: WebhookDelivery) -> str:
    """The JSON body, the same bytes signed and sent."""
    payload = delivery.payload if delivery.payload is not None else webhook_payload(delivery.event)
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False)


def signing_secrets(endpoint: WebhookEndpoint, at: datetime) -> list[str]:
    """The current secret, and the previous one while its grace period lasts."""
    found = [reveal(endpoint.secret)]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > at:
        found.append(reveal(endpoint.previous_secret))
    return found


def signed_headers(endpoint: WebhookEndpoint, message_id, body: str, at: datetime) -> dict[str, str]:
    """Standard Webhooks' headers: one `v1,` signature per valid secret, space-separated."""
    at = at.astimezone(dt_timezone.utc)  # the package reads the time as UTC whatever its zone
    signatures = [Webhook(secret).sign(msg_id=str(message_id), timestamp=at, data=body)
                  for secret in signing_secrets(endpoint, at)]
    return {"content-type": "application/json", "user-agent": USER_AGENT, "webhook-id": str(message_id),
            "webhook-timestamp": str(int(at.timestamp())), "webhook-signature": " ".join(signatures)}


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), if the answer gives one."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value)) if value.replace(".", "", 1).isdigit() else max(
            0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError, OverflowError):
        return None


def excerpt(response: httpx.Response, url: str) -> str:
    """What the tenant is shown of the answer: a short cleaned excerpt of the body from a public
    receiver; from a host the operator lists (an internal service allowed for http and private
    addresses), only the status and a JSON reason, as for every other outbound answer
    (sartiq/outbound.py): a tenant may not read an internal service through its webhook."""
    parsed = httpx.URL(url)
    host, port = parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80)
    if outbound.host_allowed(host, port):
        return outbound.describe(response)
    return outbound.clean(response.content.decode("utf-8", "replace"), 200)


def delivery_run(*, delivery_id) -> Outcome:
    """One attempt of one delivery, recorded; the outcome says what the task does next."""
    token = delivery_claim(delivery_id)
    if isinstance(token, Outcome):
        return token
    try:
        return _attempt(delivery_id, token)
    except Exception as exc:  # a bug or a broken row: fail visibly rather than retry at every lease's end
        logger.exception("webhook delivery %s failed", delivery_id)
        error = f"Internal error: {exc.__class__.__name__}"
        release(_held(delivery_id, token), status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=error)
        return Outcome("failed", error=error)


def _attempt(delivery_id, token) -> Outcome:
    delivery = WebhookDelivery.objects.select_related("endpoint", "event").filter(pk=delivery_id).first()
    if delivery is None:
        return Outcome("skipped")
    endpoint = delivery.endpoint
    if not endpoint.enabled:
        return _settle(delivery, token, None, failed=f"The endpoint is disabled{': ' if endpoint.disabled_reason else ''}"
                                                  f"{endpoint.disabled_reason}")
    now = timezone.now()
    try:
        body = body_of(delivery)
        headers = signed_headers(endpoint, delivery.message_id, body, now)
    except DomainError:  # the stored secret cannot be decrypted (its key was rotated away)
        return _settle(delivery, token, None, failed="The endpoint's secret cannot be decrypted (the server's "
                                                     "encryption key changed): rotate the secret")
    attempt = WebhookAttempt(delivery=delivery, started_at=now)
    clock = time.monotonic()
    try:
        response = outbound.request("POST", endpoint.url, content=body.encode(), headers=headers,
                                    timeout=settings.WEBHOOK_TIMEOUT, max_bytes=settings.WEBHOOK_MAX_RESPONSE_BYTES)
    except outbound.OutboundError as failure:
        attempt.duration_ms = _since(clock)
        attempt.status_code = code = failure.status_code
        if code is not None and not 300 <= code < 400:
            # An answer whose body was not read (too large, compressed): its status decides.
            attempt.response_excerpt = outbound.clean(f"HTTP {code}, not read: {failure}", 200)
            return _answered(delivery, token, attempt, code, None)
        attempt.error = outbound.clean(str(failure) if isinstance(failure, outbound.OutboundRefused)
                                       else f"The endpoint {failure}", 500)
        if failure.permanent:  # a destination not allowed, a redirect
            return _settle(delivery, token, attempt, failed=attempt.error)
        return _settle(delivery, token, attempt, transient=attempt.error)  # network, timeout
    attempt.duration_ms = _since(clock)
    attempt.status_code = response.status_code
    attempt.response_excerpt = excerpt(response, endpoint.url)
    return _answered(delivery, token, attempt, response.status_code, response)


def _since(clock: float) -> int:
    return min(int((time.monotonic() - clock) * 1000), 2**31 - 1)


def _answered(delivery, token, attempt: WebhookAttempt, code: int, response: httpx.Response | None) -> Outcome:
    """2xx: delivered; 5xx and 429: again later (after Retry-After, if given); any other: failed."""
    if 200 <= code < 300:
        return _settle(delivery, token, attempt)
    attempt.error = f"The endpoint answered {code}"
    if code >= 500 or code == 429:
        wait = retry_after(response) if response is not None and code in (429, 503) else None
        return _settle(delivery, token, attempt, transient=attempt.error, wait_at_least=wait)
    return _settle(delivery, token, attempt, failed=f"{attempt.error} (not retried: only 5xx and 429 are)")


def _next_delay(attempts: int, wait_at_least: float | None) -> float | None:
    """Seconds until the next attempt after `attempts` attempts, None when none is left."""
    schedule = settings.WEBHOOK_RETRY_SCHEDULE
    if attempts > len(schedule):
        return None
    delay = schedule[attempts - 1]
    if wait_at_least is not None:  # honour Retry-After, within the schedule's longest wait
        delay = max(delay, min(wait_at_least, max(schedule)))
    return delay


def _settle(delivery, token, attempt: WebhookAttempt | None, *, failed: str | None = None,
            transient: str | None = None, wait_at_least: float | None = None) -> Outcome:
    """Record the attempt and move the delivery and its endpoint, in one transaction (the endpoint
    first, as the claim locks it: sartiq/locking.py)."""
    now = timezone.now()
    with transaction.atomic():
        endpoint = lock_rows(WebhookEndpoint.objects.filter(pk=delivery.endpoint_id), delete=False).first()
        held = _held(delivery.pk, token)
        if endpoint is None or not lock_rows(held, delete=False).exists():
            return Outcome("skipped")  # deleted meanwhile, or taken over after our lease ended
        if attempt is not None:
            attempt.save()
        error = failed or transient
        if error is None:
            if endpoint.failing_since is not None:
                WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None, updated_at=now)
            release(held, status=DeliveryStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None,
                    last_status_code=attempt.status_code, last_error="")
            return Outcome("completed")
        last = {"last_status_code": attempt.status_code if attempt else None, "last_error": error[:500]}
        if attempt is not None and endpoint.enabled:
            _endpoint_failed(endpoint, error, now)
        delay = _next_delay(delivery.attempts, wait_at_least) if transient and endpoint.enabled else None
        if delay is None:
            if transient and endpoint.enabled:
                last["last_error"] = f"Gave up after {delivery.attempts} attempts: {error}"[:500]
            elif transient:
                last["last_error"] = f"{error}; the endpoint was then disabled"[:500]
            release(held, status=DeliveryStatus.FAILED, next_attempt_at=None, **last)
            return Outcome("failed", error=last["last_error"])
        release(held, status=DeliveryStatus.PENDING, next_attempt_at=now + timedelta(seconds=delay), **last)
        return Outcome("transient", retry_in=delay, error=error)


def _endpoint_failed(endpoint: WebhookEndpoint, error: str, now: datetime) -> None:
    """Start the endpoint's failure clock, or disable it once it has failed for WEBHOOK_DISABLE_AFTER
    (its waiting deliveries fail with it). The caller holds the endpoint's lock."""
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=now, updated_at=now)
        return
    if now - endpoint.failing_since < timedelta(seconds=settings.WEBHOOK_DISABLE_AFTER):
        return
    reason = (f"Disabled automatically: every delivery failed since {endpoint.failing_since:%Y-%m-%d %H:%M:%S} UTC "
              f"(last: {error})")[:500]
    endpoint.enabled, endpoint.disabled_reason = False, reason
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason=reason, updated_at=now)
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="The endpoint was disabled", updated_at=now)
    logger.info("Webhook endpoint %s disabled: %s", endpoint.pk, reason)


# --- the sweeper -----------------------------------------------------------------------------------
def events_not_fanned_out() -> list[int]:
    """Committed events whose fan-out message was lost (older than the grace the message has)."""
    return list(Event.objects.filter(fanned_out=False, occurred_at__lt=timezone.now() - SWEEP_GRACE)
                .order_by("occurred_at").values_list("pk", flat=True)[:SWEEP_BATCH])


def deliveries_due() -> list[str]:
    """Deliveries due for a while (a lost message, or a retry left to the sweeper) or whose worker's
    lease ended (it died)."""
    now = timezone.now()
    return [str(pk) for pk in WebhookDelivery.objects.filter(
        Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - SWEEP_GRACE)
        | Q(status=DeliveryStatus.SENDING, lease_until__lt=now)).order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]]


def sweep() -> int:
    """Send again what the messages left: returns how many messages were sent."""
    events = events_not_fanned_out()
    for start in range(0, len(events), FAN_OUT_BATCH):
        tasks.fan_out.delay(events[start:start + FAN_OUT_BATCH])
    due = deliveries_due()
    enqueue(due)
    return len(due) + (len(events) + FAN_OUT_BATCH - 1) // FAN_OUT_BATCH
