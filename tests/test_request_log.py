"""Request and task log lines, the request id that ties them, and Sentry's redaction (sartiq/request_log.py)."""
from __future__ import annotations

import json
import logging
import re

import pytest
from celery import signals

from conftest import client_for
from sartiq import request_log
from sartiq.catalog.tests.factories import SubjectBaseImageFactory
from shootings.tests.factories import ShootingFactory, ShotFactory
from shots.models import Generation
from shots.tasks import run_generation
from tests.test_async_worker import broker, celery_worker, wait_for  # noqa: F401 (broker: a fixture)

pytestmark = pytest.mark.django_db


def _generatable_shot(user):
    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    SubjectBaseImageFactory(subject=shot.shooting_look.subject, shot_type=shot.shot_type)
    return shot


def _request_records(caplog):
    return [r for r in caplog.records if r.name == "sartiq.request"]


def test_a_sane_request_id_is_kept_and_answered(api, caplog):
    caplog.set_level(logging.INFO, logger="sartiq.request")
    response = api.get("/api/v1/users/me", HTTP_X_REQUEST_ID="req-0123456789abcdef")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-0123456789abcdef"
    [record] = _request_records(caplog)
    assert record.request_id == "req-0123456789abcdef"
    assert (record.method, record.status, record.path) == ("GET", 200, "/api/v1/users/me")
    assert record.user_id == str(response.json()["id"])
    assert record.duration_ms >= 0 and record.route != "unmatched"


@pytest.mark.parametrize("sent", [None, "short", "has spaces in it", "x" * 200, "line\nbreak-0123456789",
                                  "trailing-newline-0123456789\n"])
def test_an_absent_or_insane_request_id_is_replaced(anon, sent, caplog):
    caplog.set_level(logging.INFO, logger="sartiq.request")
    headers = {"HTTP_X_REQUEST_ID": sent} if sent else {}
    response = anon.get("/api/v1/users/me", **headers)
    assert response.status_code == 401
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    [record] = _request_records(caplog)
    assert record.request_id == response["X-Request-ID"] and record.user_id is None


def test_the_request_line_names_the_tenant_and_never_a_signed_token(api, org, caplog):
    caplog.set_level(logging.INFO, logger="sartiq.request")
    api.get(f"/api/v1/products/?organization_id={org.pk}&token=s3cr3t")
    api.put("/api/v1/uploads/eyJrIjoxfQ:1uX:s3cr3tS1gnature", b"x", content_type="image/jpeg")
    first, second = _request_records(caplog)
    assert first.organization_id == str(org.pk) and first.status == 200
    assert "s3cr3t" not in first.path and "[redacted]" in first.path
    assert second.path == "/api/v1/uploads/[redacted]"
    assert "s3cr3t" not in caplog.text


def test_a_query_too_long_to_parse_is_still_the_clear_400_and_logged(api, caplog):
    caplog.set_level(logging.INFO, logger="sartiq.request")
    response = api.get("/api/v1/products/?" + "&".join(f"f{i}=1" for i in range(2000)))
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    [record] = _request_records(caplog)
    assert record.status == 400 and record.organization_id is None


def test_production_lines_are_json_with_the_request_id(api, caplog):
    caplog.set_level(logging.INFO, logger="sartiq.request")
    api.get("/api/v1/users/me?signature=s3cr3t", HTTP_X_REQUEST_ID="req-json-0123456789")
    [record] = _request_records(caplog)
    request_log.ContextFilter().filter(record)  # as the console handler does
    line = request_log.JsonLogFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["request_id"] == "req-json-0123456789"
    assert (data["level"], data["logger"], data["status"], data["method"]) == ("INFO", "sartiq.request", 200, "GET")
    assert {"time", "message", "duration_ms", "user_id", "organization_id", "route"} <= set(data)
    assert "s3cr3t" not in line


def test_the_log_format_follows_debug_unless_told(monkeypatch):
    from django.conf import settings

    assert settings.LOGGING["handlers"]["console"]["formatter"] == settings.LOG_FORMAT
    assert settings.LOG_FORMAT == ("text" if settings.DEBUG else "json")
    assert "request_context" in settings.LOGGING["handlers"]["console"]["filters"]


@pytest.mark.django_db(transaction=True)  # tasks are sent when the service's transaction commits
def test_tasks_a_request_enqueues_carry_its_request_id(user):
    sent = []

    def capture(headers=None, **kwargs):
        sent.append(dict(headers))

    signals.before_task_publish.connect(capture, weak=False)
    try:
        shot = _generatable_shot(user)
        response = client_for(user).post(f"/api/v1/shots/{shot.pk}/generate", {"generations_count": 1},
                                         format="json", HTTP_X_REQUEST_ID="req-task-0123456789")
    finally:
        signals.before_task_publish.disconnect(capture)
    assert response.status_code == 200, response.content
    assert sent and all(h.get("request_id") == "req-task-0123456789" for h in sent)
    # Outside a request, no request id is made up for the task.
    headers = {}
    request_log.add_request_id_header(headers=headers)
    assert headers == {}


@pytest.mark.broker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(300)
def test_the_worker_logs_one_json_line_per_task_with_the_request_id(user, broker, tmp_path):  # noqa: F811
    shot = _generatable_shot(user)
    with celery_worker(broker, tmp_path) as worker:
        response = client_for(user).post(f"/api/v1/shots/{shot.pk}/generate", {"generations_count": 1},
                                         format="json", HTTP_X_REQUEST_ID="req-worker-0123456789")
        assert response.status_code == 200, response.content
        wait_for(lambda: not Generation.objects.filter(shot=shot, status__in=["PENDING", "RUNNING"]).exists(),
                 worker=worker, what="the generation")

        def task_lines():
            lines = [json.loads(line) for line in worker.log.read_text().splitlines() if line.startswith("{")]
            return [line for line in lines if line.get("logger") == "sartiq.task"]

        wait_for(lambda: any(line["task"] == "shots.run_generation" for line in task_lines()), worker=worker,
                 what="the task's log line")
    [line] = [line for line in task_lines() if line["task"] == "shots.run_generation"]
    assert line["request_id"] == "req-worker-0123456789"
    assert line["state"] == "SUCCESS" and line["duration_ms"] > 0 and line["task_id"]


def test_a_task_run_inline_logs_its_own_line_and_gives_the_request_its_id_back(user, caplog):
    caplog.set_level(logging.INFO)
    shot = _generatable_shot(user)
    generation = Generation.objects.create(shot=shot)
    token = request_log._context.set({"request_id": "req-inline-0123456789"})
    try:
        run_generation.apply(args=[str(generation.pk)], headers={"request_id": "req-inline-0123456789"})
        assert request_log.current_request_id() == "req-inline-0123456789"
    finally:
        request_log._context.reset(token)
    [line] = [r for r in caplog.records if r.name == "sartiq.task"]
    assert (line.task, line.state, line.request_id) == ("shots.run_generation", "SUCCESS", "req-inline-0123456789")


def test_sentry_events_carry_no_secret():
    event = {"request": {"url": "http://x/api/v1/uploads/eyJ:1:abc", "query_string": "signature=abc&x=1",
                         "headers": {"Authorization": "Bearer abc", "Accept": "*/*"}, "cookies": {"s": "abc"}},
             "logentry": {"message": "GET /media/a.jpg?e=1&s=abc"},
             "breadcrumbs": {"values": [{"message": "token=abc", "data": {"url": "/x?sig=abc"}}]}}
    cleaned = json.dumps(request_log._redact_event(event))
    assert "abc" not in cleaned and "*/*" in cleaned and "x=1" in cleaned


def test_sentry_reports_django_and_celery_errors_without_personal_data(monkeypatch):
    import sentry_sdk

    captured = {}
    monkeypatch.setattr(sentry_sdk, "init", lambda **options: captured.update(options))
    request_log.sentry_init("https://key@sentry.example/1", environment="test", traces_sample_rate=0.0)
    assert captured["send_default_pii"] is False
    assert {type(i).__name__ for i in captured["integrations"]} == {"DjangoIntegration", "CeleryIntegration"}
    assert captured["before_send"] is request_log._redact_event
