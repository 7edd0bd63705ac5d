"""Contract §3's tenancy rule on every catalog endpoint: owner, member, non-member, superuser."""
import uuid

import pytest

from conftest import client_for
from tests.catalog_resources import RESOURCES, make

pytestmark = pytest.mark.django_db

FORBIDDEN = {"detail": "Not enough permissions"}


def url(resource, obj=None, **query):
    base = f"/api/v1/{resource.path}/" + (str(obj.pk) if obj is not None else "")
    return base + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def ids(response):
    assert response.status_code == 200, response.json()
    return {item["id"] for item in response.json()["data"]}


def field_of(resource):
    return next(iter(resource.update_body))


@pytest.fixture(params=RESOURCES, ids=str)
def resource(request):
    return request.param


# --- personal resources ---------------------------------------------------------------------------
def test_personal_resource_is_listed_and_readable_by_its_owner_only(resource, user, other_user, superuser):
    mine = make(resource, owner=user)
    theirs = make(resource, owner=other_user)
    assert ids(client_for(user).get(url(resource))) == {str(mine.pk)}
    assert ids(client_for(other_user).get(url(resource))) == {str(theirs.pk)}
    assert {str(mine.pk), str(theirs.pk)} <= ids(client_for(superuser).get(url(resource)))

    assert client_for(user).get(url(resource, mine)).status_code == 200
    assert client_for(superuser).get(url(resource, mine)).status_code == 200
    response = client_for(other_user).get(url(resource, mine))
    assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_only_the_owner_or_a_superuser_changes_a_personal_resource(resource, user, other_user, superuser):
    obj = make(resource, owner=user)
    field = field_of(resource)
    before = getattr(obj, field)

    for method in ("put", "patch"):
        response = getattr(client_for(other_user), method)(url(resource, obj), resource.update_body, format="json")
        assert (response.status_code, response.json()) == (403, FORBIDDEN)
    response = client_for(other_user).delete(url(resource, obj))
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    obj.refresh_from_db()
    assert getattr(obj, field) == before

    response = client_for(user).patch(url(resource, obj), resource.update_body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()[field] == resource.update_body[field]
    response = client_for(superuser).put(url(resource, obj), {field: "By admin"}, format="json")
    assert response.status_code == 200 and response.json()[field] == "By admin"

    response = client_for(user).delete(url(resource, obj))
    assert response.status_code == 200
    assert response.json() == {"message": f"{resource.thing} deleted successfully"}
    assert not type(obj).objects.filter(pk=obj.pk).exists()


# --- organization resources -----------------------------------------------------------------------
def test_organization_resource_is_shared_with_members_only(resource, user, org, member, other_user, superuser):
    shared = make(resource, owner=user, organization=org)
    make(resource, owner=user)  # personal, never listed with the organization
    assert ids(client_for(member).get(url(resource, organization_id=org.pk))) == {str(shared.pk)}
    assert ids(client_for(superuser).get(url(resource, organization_id=org.pk))) == {str(shared.pk)}
    # Without organization_id only personal resources are listed.
    assert str(shared.pk) not in ids(client_for(member).get(url(resource)))

    response = client_for(other_user).get(url(resource, organization_id=org.pk))
    assert (response.status_code, response.json()) == (403, FORBIDDEN)

    assert client_for(member).get(url(resource, shared)).status_code == 200
    response = client_for(other_user).get(url(resource, shared))
    assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_members_change_organization_resources_and_outsiders_cannot(resource, user, org, member, other_user):
    shared = make(resource, owner=user, organization=org)
    field = field_of(resource)
    response = client_for(other_user).patch(url(resource, shared), resource.update_body, format="json")
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert client_for(other_user).delete(url(resource, shared)).status_code == 403

    response = client_for(member).patch(url(resource, shared), resource.update_body, format="json")
    assert response.status_code == 200 and response.json()[field] == resource.update_body[field]
    assert client_for(member).delete(url(resource, shared)).status_code == 200


@pytest.mark.parametrize("resource", [r for r in RESOURCES if r.create_body], ids=str)  # media: by upload
def test_creating_in_an_organization_needs_membership(resource, user, org, other_user):
    model = resource.factory._meta.model
    before = model.objects.count()
    body = resource.create_body(other_user, None)
    response = client_for(other_user).post(url(resource, organization_id=org.pk), body, format="json")
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert model.objects.count() == before

    response = client_for(user).post(url(resource, organization_id=org.pk), resource.create_body(user, org), format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["organization_id"] == str(org.pk)
    assert response.json()["owner_id"] == str(user.pk)


def test_unknown_ids_are_404_with_the_things_name(resource, user):
    for method in ("get", "put", "patch", "delete"):
        response = getattr(client_for(user), method)(f"/api/v1/{resource.path}/{uuid.uuid4()}", {}, format="json")
        assert response.status_code == 404
        assert response.json() == {"detail": f"{resource.thing} not found"}


def test_a_detail_with_an_organization_the_caller_is_not_in_is_403(resource, user, org, other_user):
    obj = make(resource, owner=other_user)
    response = client_for(other_user).get(url(resource, obj, organization_id=org.pk))
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
