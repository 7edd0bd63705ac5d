"""Issue #10, finding 15: two owners leaving (or stepping down) at once must leave one owner.

Real concurrency: two threads, each with its own database connection (Django's are per thread),
send their requests through the API at the same moment, many times over. Before the organization's
row was locked, both counted two owners and both went (2 of 5 runs in the audit).
"""
import pytest

from conftest import client_for
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership
from sartiq.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.concurrency.race import at_once

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

ROUNDS = 20
LAST_OWNER = {"detail": "An organization needs at least one owner"}


def leave(owner, organization):
    return lambda: client_for(owner).delete(f"/api/v1/organizations/{organization.pk}/members/{owner.pk}")


def step_down(owner, organization):
    return lambda: client_for(owner).patch(f"/api/v1/organizations/{organization.pk}/members/{owner.pk}",
                                           {"role": "MEMBER"}, format="json")


def demote(owner, organization, *, by):
    return lambda: client_for(by).patch(f"/api/v1/organizations/{organization.pk}/members/{owner.pk}",
                                        {"role": "ADMIN"}, format="json")


@pytest.mark.parametrize("first, second", [(leave, leave), (leave, step_down), (step_down, step_down)],
                         ids=["both leave", "one leaves, one steps down", "both step down"])
def test_two_owners_going_at_once_leave_one_owner(first, second):
    outcomes = []
    for _ in range(ROUNDS):
        organization = OrganizationFactory()
        a, b = UserFactory(), UserFactory()
        for owner in (a, b):
            MembershipFactory(organization=organization, user=owner, role=MembershipRole.OWNER)
        MembershipFactory(organization=organization, role=MembershipRole.MEMBER)
        responses = at_once(first(a, organization), second(b, organization))
        owners = Membership.objects.filter(organization=organization, role=MembershipRole.OWNER).count()
        outcomes.append((owners, sorted(r.status_code for r in responses)))
        assert owners == 1, f"round {len(outcomes)}: {owners} owners left; answers {[r.json() for r in responses]}"
        refused = [r for r in responses if r.status_code == 400]
        assert [r.json() for r in refused] == [LAST_OWNER]
    assert outcomes == [(1, [200, 400])] * ROUNDS


def test_an_owner_leaving_while_the_other_is_demoted_by_an_admin_leaves_one_owner():
    for _ in range(ROUNDS):
        organization = OrganizationFactory()
        a, b = UserFactory(), UserFactory()
        for owner in (a, b):
            MembershipFactory(organization=organization, user=owner, role=MembershipRole.OWNER)
        at_once(leave(a, organization), demote(b, organization, by=a))
        assert Membership.objects.filter(organization=organization, role=MembershipRole.OWNER).count() == 1


@pytest.mark.django_db
def test_the_admin_cannot_remove_the_last_owner_either(client, superuser):
    organization = OrganizationFactory()
    owner = MembershipFactory(organization=organization, role=MembershipRole.OWNER)
    member = MembershipFactory(organization=organization, role=MembershipRole.MEMBER)
    client.force_login(superuser)
    form = {"name": organization.name, "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "2",
            "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000"}
    for index, membership in enumerate((owner, member)):
        form.update({f"memberships-{index}-id": str(membership.pk), f"memberships-{index}-organization": str(organization.pk),
                     f"memberships-{index}-user": str(membership.user_id), f"memberships-{index}-role": membership.role})
    url = f"/admin/accounts/organization/{organization.pk}/change/"
    for change in ({"memberships-0-DELETE": "on"}, {"memberships-0-role": "ADMIN"}):
        response = client.post(url, {**form, **change})
        assert response.status_code == 200 and "An organization needs at least one owner" in response.content.decode()
        assert Membership.objects.filter(organization=organization, role=MembershipRole.OWNER).count() == 1
    assert client.post(url, {**form, "memberships-1-role": "OWNER"}).status_code == 302  # a valid edit saves
