"""Every read endpoint runs a constant number of queries, whatever the number of rows."""
import pytest

from conftest import client_for
from sartiq.accounts.tests.factories import MembershipFactory
from tests.catalog_resources import RESOURCES, make

pytestmark = pytest.mark.django_db

AUTH = 1  # the token's user
COUNT = 1  # SELECT COUNT(*) of the page's total
ROWS = 1  # the page, with its joined one-to-one relations
MEMBERSHIPS = 1  # the caller's organizations, once per request, when a rule needs them


@pytest.fixture(params=RESOURCES, ids=str)
def resource(request):
    return request.param


def test_personal_list_queries_are_constant(resource, user, query_counts):
    client = client_for(user)
    url = f"/api/v1/{resource.path}/"
    expected = AUTH + COUNT + ROWS + resource.list_prefetches
    make(resource, owner=user)
    one = query_counts.measure(client, url)
    assert query_counts.response.json()["count"] == 1
    for _ in range(12):
        make(resource, owner=user)
    many = query_counts.measure(client, url)
    assert query_counts.response.json()["count"] == 13
    query_counts.check({url: expected}, {url: one}, {url: many})


def test_organization_list_queries_are_constant(resource, user, org, query_counts):
    client = client_for(user)
    url = f"/api/v1/{resource.path}/?organization_id={org.pk}"
    expected = AUTH + MEMBERSHIPS + COUNT + ROWS + resource.list_prefetches
    make(resource, owner=user, organization=org)
    one = query_counts.measure(client, url)
    for _ in range(12):
        make(resource, owner=user, organization=org)
    many = query_counts.measure(client, url)
    assert query_counts.response.json()["count"] == 13
    query_counts.check({url: expected}, {url: one}, {url: many})


def test_detail_queries_are_constant(resource, user, org, query_counts):
    client = client_for(user)
    personal = make(resource, owner=user)
    shared = make(resource, owner=user, organization=org)
    # The object with its joins, then its prefetches; an organization's object also needs the
    # caller's memberships to decide visibility.
    urls = {f"/api/v1/{resource.path}/{personal.pk}": AUTH + ROWS + resource.list_prefetches,
            f"/api/v1/{resource.path}/{shared.pk}": AUTH + ROWS + resource.list_prefetches + MEMBERSHIPS}
    query_counts.check(urls, {url: query_counts.measure(client, url) for url in urls})


def test_organization_and_member_lists_are_constant(user, query_counts):
    client = client_for(user)
    orgs = [MembershipFactory(user=user).organization for _ in range(1)]
    url = "/api/v1/organizations/"
    one = query_counts.measure(client, url)
    orgs += [MembershipFactory(user=user).organization for _ in range(9)]
    many = query_counts.measure(client, url)
    assert query_counts.response.json()["count"] == 10
    # auth, count, rows (role and member count are subqueries of the same SELECT)
    query_counts.check({url: AUTH + COUNT + ROWS}, {url: one}, {url: many})
    for _ in range(8):
        MembershipFactory(organization=orgs[0])
    url = f"/api/v1/organizations/{orgs[0].pk}/members"
    members = query_counts.measure(client, url)
    assert query_counts.response.json()["count"] == 9
    # auth, the organization, the caller's memberships, count, rows (user joined)
    query_counts.check({url: AUTH + 1 + MEMBERSHIPS + COUNT + ROWS}, {url: members})
