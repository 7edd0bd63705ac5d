"""Every read endpoint runs a constant number of queries, whatever the number of rows."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import client_for
from sartiq.accounts.tests.factories import MembershipFactory
from tests.catalog_resources import RESOURCES, make

pytestmark = pytest.mark.django_db

AUTH = 1  # the token's user
COUNT = 1  # SELECT COUNT(*) of the page's total
ROWS = 1  # the page, with its joined one-to-one relations
MEMBERSHIPS = 1  # the caller's organizations, once per request, when a rule needs them


def queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.json()
    return len(ctx.captured_queries), response.json()


@pytest.fixture(params=RESOURCES, ids=str)
def resource(request):
    return request.param


def test_personal_list_queries_are_constant(resource, user):
    client = client_for(user)
    url = f"/api/v1/{resource.path}/"
    expected = AUTH + COUNT + ROWS + resource.list_prefetches
    make(resource, owner=user)
    one, body = queries(client, url)
    assert body["count"] == 1
    for _ in range(12):
        make(resource, owner=user)
    many, body = queries(client, url)
    assert body["count"] == 13
    assert (one, many) == (expected, expected)


def test_organization_list_queries_are_constant(resource, user, org):
    client = client_for(user)
    url = f"/api/v1/{resource.path}/?organization_id={org.pk}"
    expected = AUTH + MEMBERSHIPS + COUNT + ROWS + resource.list_prefetches
    make(resource, owner=user, organization=org)
    one, _ = queries(client, url)
    for _ in range(12):
        make(resource, owner=user, organization=org)
    many, body = queries(client, url)
    assert body["count"] == 13
    assert (one, many) == (expected, expected)


def test_detail_queries_are_constant(resource, user, org):
    client = client_for(user)
    personal = make(resource, owner=user)
    shared = make(resource, owner=user, organization=org)
    # The object with its joins, then its prefetches; an organization's object also needs the
    # caller's memberships to decide visibility.
    count, _ = queries(client, f"/api/v1/{resource.path}/{personal.pk}")
    assert count == AUTH + ROWS + resource.list_prefetches
    count, _ = queries(client, f"/api/v1/{resource.path}/{shared.pk}")
    assert count == AUTH + ROWS + resource.list_prefetches + MEMBERSHIPS


def test_organization_and_member_lists_are_constant(user):
    client = client_for(user)
    orgs = [MembershipFactory(user=user).organization for _ in range(1)]
    one, _ = queries(client, "/api/v1/organizations/")
    orgs += [MembershipFactory(user=user).organization for _ in range(9)]
    many, body = queries(client, "/api/v1/organizations/")
    assert body["count"] == 10
    # auth, count, rows (role and member count are subqueries of the same SELECT)
    assert one == many == AUTH + COUNT + ROWS
    for _ in range(8):
        MembershipFactory(organization=orgs[0])
    members, body = queries(client, f"/api/v1/organizations/{orgs[0].pk}/members")
    assert body["count"] == 9
    # auth, the organization, the caller's memberships, count, rows (user joined)
    assert members == AUTH + 1 + MEMBERSHIPS + COUNT + ROWS
