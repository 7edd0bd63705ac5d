"""Organizations and memberships: who may see, rename, delete and manage members."""
import uuid

import pytest

from conftest import client_for
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
FORBIDDEN = {"detail": "Not enough permissions"}


def test_creating_an_organization_makes_the_caller_its_owner(api, user):
    response = api.post("/api/v1/organizations/", {"name": "Acme"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Acme" and body["role"] == "OWNER" and body["members_count"] == 1
    assert Membership.objects.get(organization_id=body["id"]).user == user


def test_organizations_are_listed_for_members_only(user, org, member, other_user, superuser):
    MembershipFactory(user=other_user)
    assert [o["id"] for o in client_for(member).get("/api/v1/organizations/").json()["data"]] == [str(org.pk)]
    assert str(org.pk) not in {o["id"] for o in client_for(other_user).get("/api/v1/organizations/").json()["data"]}
    assert client_for(superuser).get("/api/v1/organizations/").json()["count"] == 2
    assert client_for(member).get(f"/api/v1/organizations/{org.pk}").json()["role"] == "MEMBER"
    response = client_for(other_user).get(f"/api/v1/organizations/{org.pk}")
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert client_for(user).get(f"/api/v1/organizations/{uuid.uuid4()}").json() == {"detail": "Organization not found"}


def test_only_owners_and_admins_rename_and_only_owners_delete(user, org, member):
    response = client_for(member).patch(f"/api/v1/organizations/{org.pk}", {"name": "Hijacked"}, format="json")
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    org.refresh_from_db()
    assert org.name != "Hijacked"
    admin = MembershipFactory(organization=org, role=MembershipRole.ADMIN).user
    assert client_for(admin).put(f"/api/v1/organizations/{org.pk}", {"name": "Renamed"}, format="json").status_code == 200
    assert client_for(admin).delete(f"/api/v1/organizations/{org.pk}").status_code == 403
    response = client_for(user).delete(f"/api/v1/organizations/{org.pk}")
    assert response.json() == {"message": "Organization deleted successfully"}
    assert not Organization.objects.filter(pk=org.pk).exists()


def test_admins_add_members_by_email_or_id_and_members_cannot(user, org, member):
    newcomer, another = UserFactory(), UserFactory()
    url = f"/api/v1/organizations/{org.pk}/members"
    assert client_for(member).post(url, {"email": newcomer.email}, format="json").status_code == 403
    response = client_for(user).post(url, {"email": newcomer.email.upper()}, format="json")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == newcomer.email and response.json()["role"] == "MEMBER"
    response = client_for(user).post(url, {"user_id": str(another.pk), "role": "ADMIN"}, format="json")
    assert response.json()["role"] == "ADMIN"
    again = client_for(user).post(url, {"user_id": str(another.pk)}, format="json")
    assert (again.status_code, again.json()) == (400, {"detail": "The user is already a member of this organization"})
    unknown = client_for(user).post(url, {"email": "nobody@example.com"}, format="json")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "User not found"})


def test_member_body_needs_exactly_one_of_user_id_and_email(user, org):
    url = f"/api/v1/organizations/{org.pk}/members"
    response = client_for(user).post(url, {}, format="json")
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "value_error"
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_roles_change_and_the_last_owner_stays(user, org, member):
    url = f"/api/v1/organizations/{org.pk}/members"
    response = client_for(user).patch(f"{url}/{member.pk}", {"role": "ADMIN"}, format="json")
    assert response.json()["role"] == "ADMIN"
    # An admin may not promote to owner.
    assert client_for(member).patch(f"{url}/{member.pk}", {"role": "OWNER"}, format="json").status_code == 403
    last = client_for(user).patch(f"{url}/{user.pk}", {"role": "MEMBER"}, format="json")
    assert (last.status_code, last.json()) == (400, {"detail": "An organization needs at least one owner"})
    assert client_for(user).delete(f"{url}/{user.pk}").status_code == 400


def test_members_may_leave_and_admins_remove_members(user, org, member):
    url = f"/api/v1/organizations/{org.pk}/members"
    other = MembershipFactory(organization=org).user
    assert client_for(member).delete(f"{url}/{other.pk}").status_code == 403
    assert client_for(member).delete(f"{url}/{member.pk}").json() == {"message": "Member removed successfully"}
    assert client_for(user).delete(f"{url}/{other.pk}").status_code == 200
    assert list(Membership.objects.filter(organization=org).values_list("user", flat=True)) == [user.pk]


def test_membership_gives_access_at_once_and_removal_takes_it_away(user, org, other_user):
    from sartiq.catalog.tests.factories import ProductFactory

    product = ProductFactory(owner=user, organization=org)
    client = client_for(other_user)
    assert client.get(f"/api/v1/products/{product.pk}").status_code == 403
    client_for(user).post(f"/api/v1/organizations/{org.pk}/members", {"user_id": str(other_user.pk)}, format="json")
    assert client.get(f"/api/v1/products/{product.pk}").status_code == 200
    client_for(user).delete(f"/api/v1/organizations/{org.pk}/members/{other_user.pk}")
    assert client.get(f"/api/v1/products/{product.pk}").status_code == 403
