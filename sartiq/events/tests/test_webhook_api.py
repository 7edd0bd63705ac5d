"""`/api/v1/webhook-endpoints/`: CRUD, who may do what, validation, the secret shown only at creation
and rotation, deliveries with their attempts, a manual retry and the test message."""
from __future__ import annotations

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from conftest import client_for
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory
from sartiq.events.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from sartiq.secrets import reveal

pytestmark = pytest.mark.django_db
URL = "/api/v1/webhook-endpoints"
BODY = {"url": "https://hooks.example.com/sartiq", "events": ["shot.*", "push.completed"], "description": "CI"}


def create(client, body=None, organization=None, status=200):
    query = f"?organization_id={organization.pk}" if organization else ""
    response = client.post(f"{URL}{query}", body or BODY, format="json")
    assert response.status_code == status, response.json()
    return response.json()


@pytest.fixture
def admin_user(org):
    return MembershipFactory(organization=org, role=MembershipRole.ADMIN).user


def test_the_creation_answer_is_the_only_one_with_the_secret(api, user):
    created = create(api)
    secret = created["secret"]
    Webhook(secret)  # a Standard Webhooks secret
    assert secret.startswith("whsec_") and 24 <= len(Webhook(secret)._whsecret) <= 64
    assert {k: created[k] for k in ("url", "events", "description", "enabled", "disabled_reason", "failing_since")} == {
        **BODY, "enabled": True, "disabled_reason": "", "failing_since": None}
    assert created["owner_id"] == str(user.pk) and created["organization_id"] is None
    stored = WebhookEndpoint.objects.get(pk=created["id"])
    assert stored.secret.startswith("fernet:") and secret not in stored.secret and reveal(stored.secret) == secret

    endpoint_url = f"{URL}/{created['id']}"
    for response in (api.get(URL), api.get(endpoint_url), api.patch(endpoint_url, {"description": "x"}, format="json"),
                     api.put(endpoint_url, BODY, format="json"), api.get(f"{endpoint_url}/deliveries")):
        assert response.status_code == 200
        assert "secret" not in response.content.decode().replace("previous_secret_expires_at", "")
        assert secret[6:20] not in response.content.decode()


def test_rotation_answers_a_new_secret_once_and_keeps_the_old_one_for_the_grace_period(api, settings):
    settings.WEBHOOK_SECRET_GRACE = 3600
    created = create(api)
    rotated = api.post(f"{URL}/{created['id']}/rotate-secret")
    assert rotated.status_code == 200
    body = rotated.json()
    assert body["secret"].startswith("whsec_") and body["secret"] != created["secret"]
    assert body["previous_secret_expires_at"] is not None
    stored = WebhookEndpoint.objects.get(pk=created["id"])
    assert (reveal(stored.secret), reveal(stored.previous_secret)) == (body["secret"], created["secret"])
    assert 3590 < (stored.previous_secret_expires_at - timezone.now()).total_seconds() <= 3600
    assert "secret" not in api.get(f"{URL}/{created['id']}").json()


def test_organization_endpoints_are_managed_by_admins_and_owners_and_read_by_members(user, org, member, admin_user):
    owner, admin, plain = client_for(user), client_for(admin_user), client_for(member)
    created = create(owner, organization=org)
    assert created["organization_id"] == str(org.pk)
    create(admin, organization=org)
    assert create(plain, organization=org, status=403) == {"detail": "Not enough permissions"}
    assert WebhookEndpoint.objects.count() == 2

    item = f"{URL}/{created['id']}"
    listed = plain.get(f"{URL}?organization_id={org.pk}").json()
    assert listed["count"] == 2 and all("secret" not in e for e in listed["data"])
    assert plain.get(item).status_code == 200
    assert plain.get(f"{item}/deliveries").status_code == 200
    before = WebhookEndpoint.objects.get(pk=created["id"])
    for response in (plain.patch(item, {"enabled": False}, format="json"), plain.put(item, BODY, format="json"),
                     plain.delete(item), plain.post(f"{item}/rotate-secret"), plain.post(f"{item}/test")):
        assert response.status_code == 403, response.json()
    after = WebhookEndpoint.objects.get(pk=created["id"])
    assert (after.secret, after.enabled, after.updated_at) == (before.secret, before.enabled, before.updated_at)
    assert not WebhookDelivery.objects.exists()


def test_another_tenant_sees_and_changes_nothing(api, other_user, org):
    created = create(api, organization=org)
    stranger = client_for(other_user)
    assert stranger.get(URL).json() == {"data": [], "count": 0}
    assert stranger.get(f"{URL}?organization_id={org.pk}").status_code == 403
    for response in (stranger.get(f"{URL}/{created['id']}"), stranger.delete(f"{URL}/{created['id']}"),
                     stranger.post(f"{URL}/{created['id']}/test")):
        assert response.status_code == 403
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize("url, message", [
    ("not a url", "Enter a valid URL."),
    ("ftp://hooks.example.com/x", "Enter a valid URL."),
    ("http://hooks.example.com/x", "Only https URLs are allowed (http only to hosts the operator allows)"),
    ("https://user:password@hooks.example.com/x", "The URL may not contain a user name or password"),
    ("https://127.0.0.1/x", "The destination is not allowed: it is not a public internet address"),
    ("https://10.1.2.3/x", "The destination is not allowed: it is not a public internet address"),
    ("https://[::1]/x", "The destination is not allowed: it is not a public internet address"),
])
def test_a_url_the_server_may_not_post_to_is_refused(api, url, message):
    response = api.post(URL, {**BODY, "url": url}, format="json")
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "url"] and error["msg"] == f"Value error, {message}"
    assert not WebhookEndpoint.objects.exists()


def test_http_to_a_host_the_operator_lists_is_accepted(api, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1:8765"]
    assert create(api, {**BODY, "url": "http://127.0.0.1:8765/hooks"})["url"] == "http://127.0.0.1:8765/hooks"


@pytest.mark.parametrize("events, where", [
    (["shot.exploded"], ["body", "events", 0]), (["shot.approved", "nope.*"], ["body", "events", 1]),
    (["shot"], ["body", "events", 0]), ([], ["body", "events"]), ("shot.*", ["body", "events"]),
])
def test_unknown_event_types_are_refused(api, events, where):
    response = api.post(URL, {**BODY, "events": events}, format="json")
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert [e["loc"] for e in errors] == [where]
    if isinstance(events, list) and events:
        assert "is not an event type" in errors[0]["msg"] and "shot.*" in errors[0]["msg"]
    assert not WebhookEndpoint.objects.exists()


def test_subscriptions_are_kept_once_each(api):
    assert create(api, {**BODY, "events": ["*", "shot.approved", "*"]})["events"] == ["*", "shot.approved"]


def test_enabling_starts_afresh_and_disabling_says_who(api):
    created = create(api)
    item = f"{URL}/{created['id']}"
    assert api.patch(item, {"enabled": False}, format="json").json()["disabled_reason"] == "Disabled by a user"
    WebhookEndpoint.objects.filter(pk=created["id"]).update(disabled_reason="Disabled automatically: ...",
                                                            failing_since=timezone.now())
    enabled = api.patch(item, {"enabled": True}, format="json").json()
    assert (enabled["enabled"], enabled["disabled_reason"], enabled["failing_since"]) == (True, "", None)
    assert api.patch(item, {"events": ["nope"]}, format="json").status_code == 422


def test_delete_removes_the_endpoint_and_its_deliveries(api):
    created = create(api)
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, message_id=endpoint.pk, event_type="webhook.test",
                                              payload={})
    WebhookAttempt.objects.create(delivery=delivery, started_at=timezone.now(), status_code=500)
    response = api.delete(f"{URL}/{created['id']}")
    assert response.json() == {"message": "Webhook endpoint deleted successfully"}
    assert not WebhookDelivery.objects.exists() and not WebhookAttempt.objects.exists()
    assert api.get(f"{URL}/{created['id']}").status_code == 404


def _deliveries(endpoint, count):
    made = []
    for n in range(count):
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, message_id=endpoint.pk, event_type="webhook.test",
                                                  payload={}, status="FAILED", attempts=2, last_status_code=500)
        for code in (502, 500):
            WebhookAttempt.objects.create(delivery=delivery, started_at=timezone.now(), status_code=code,
                                          duration_ms=n, response_excerpt="HTTP 500")
        made.append(delivery)
    return made


def test_deliveries_are_listed_newest_first_with_their_attempts(api):
    endpoint = WebhookEndpoint.objects.get(pk=create(api)["id"])
    made = _deliveries(endpoint, 3)
    listed = api.get(f"{URL}/{endpoint.pk}/deliveries?limit=2").json()
    assert listed["count"] == 3
    assert [d["id"] for d in listed["data"]] == [str(made[2].pk), str(made[1].pk)]
    first = listed["data"][0]
    assert (first["status"], first["attempts"], first["message_id"], first["event_type"]) == (
        "FAILED", 2, str(endpoint.pk), "webhook.test")
    assert [(a["status_code"], a["response_excerpt"]) for a in first["attempt_log"]] == [
        (502, "HTTP 500"), (500, "HTTP 500")]
    assert [d["id"] for d in api.get(f"{URL}/{endpoint.pk}/deliveries?skip=2").json()["data"]] == [str(made[0].pk)]


def test_list_reads_take_constant_queries(api, user, query_counts):
    endpoint = WebhookEndpoint.objects.get(pk=create(api)["id"])
    _deliveries(endpoint, 1)
    urls = {"list": URL, "deliveries": f"{URL}/{endpoint.pk}/deliveries"}
    # list: the count, the page. deliveries: the endpoint (with the permission check), the count,
    # the page, the attempts of the page. (Authentication takes one more each.)
    expected = {URL: 3, urls["deliveries"]: 5}
    few = {url: query_counts.measure(api, url) for url in urls.values()}
    for _ in range(4):
        create(api)
    _deliveries(endpoint, 6)
    many = {url: query_counts.measure(api, url) for url in urls.values()}
    query_counts.check(expected, few, many)


def test_a_failed_delivery_is_queued_again_and_a_sending_one_is_left_alone(api, user, other_user):
    endpoint = WebhookEndpoint.objects.get(pk=create(api)["id"])
    (failed,) = _deliveries(endpoint, 1)
    retried = api.post(f"{URL}/{endpoint.pk}/deliveries/{failed.pk}/retry")
    assert retried.status_code == 200
    assert (retried.json()["status"], retried.json()["attempts"], len(retried.json()["attempt_log"])) == (
        "PENDING", 0, 2)

    WebhookDelivery.objects.filter(pk=failed.pk).update(status="SENDING")
    busy = api.post(f"{URL}/{endpoint.pk}/deliveries/{failed.pk}/retry")
    assert busy.status_code == 409 and "being sent" in busy.json()["detail"]

    other = WebhookEndpoint.objects.get(pk=create(client_for(other_user))["id"])
    (theirs,) = _deliveries(other, 1)
    assert api.post(f"{URL}/{endpoint.pk}/deliveries/{theirs.pk}/retry").json() == {"detail": "Delivery not found"}
    assert WebhookDelivery.objects.get(pk=theirs.pk).status == "FAILED"


def test_the_test_message_is_queued_for_this_endpoint_and_refused_when_disabled(api):
    endpoint_id = create(api)["id"]
    queued = api.post(f"{URL}/{endpoint_id}/test")
    assert queued.status_code == 200
    assert (queued.json()["event_type"], queued.json()["status"], queued.json()["attempt_log"]) == (
        "webhook.test", "PENDING", [])
    assert WebhookDelivery.objects.get().payload["type"] == "webhook.test"

    api.patch(f"{URL}/{endpoint_id}", {"enabled": False}, format="json")
    refused = api.post(f"{URL}/{endpoint_id}/test")
    assert refused.status_code == 409
    assert refused.json() == {"detail": "The webhook endpoint is disabled: enable it first (Disabled by a user)"}
    assert WebhookDelivery.objects.count() == 1


def test_the_admin_lists_endpoints_and_deliveries_read_only_without_secrets(client, superuser, api, org, user):
    client.force_login(superuser)
    created = create(api, organization=org)
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False, disabled_reason="Disabled automatically: x")
    (delivery,) = _deliveries(endpoint, 1)
    secret_part = created["secret"][6:20]
    pages = {"/admin/events/webhookendpoint/": [org.name, "Disabled automatically: x", BODY["url"]],
             f"/admin/events/webhookendpoint/{endpoint.pk}/change/": [BODY["url"]],
             "/admin/events/webhookdelivery/": ["webhook.test"],
             f"/admin/events/webhookdelivery/{delivery.pk}/change/": ["HTTP 500"]}
    for url, shown in pages.items():
        response = client.get(url)
        text = response.content.decode()
        assert response.status_code == 200, url
        assert all(item in text for item in shown), url
        assert "fernet:" not in text and secret_part not in text and 'name="_save"' not in text, url
    assert client.get("/admin/events/webhookendpoint/add/").status_code == 403
