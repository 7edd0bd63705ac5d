"""Moving a shooting between organizations (issue 10, finding 5): ADMIN/OWNER on both sides, and
nothing of the old tenant becomes visible to the new one."""
import pytest

from conftest import client_for
from integrations.models import ExternalImagePush, ExternalIntegration
from sartiq.accounts.tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from sartiq.catalog.tests.factories import ProductFactory, ShotTypeFactory, SubjectFactory
from sartiq.media.tests.factories import MediaResourceFactory
from shootings.models import Shooting
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision

pytestmark = pytest.mark.django_db
FORBIDDEN = {"detail": "Not enough permissions"}


@pytest.fixture
def two_orgs():
    """A and B, and people with every mix of roles in them."""
    a, b = OrganizationFactory(name="A"), OrganizationFactory(name="B")
    people = {}
    for name, roles in {"admin_both": ("ADMIN", "OWNER"), "member_a_admin_b": ("MEMBER", "ADMIN"),
                        "admin_a_member_b": ("OWNER", "MEMBER"), "member_both": ("MEMBER", "MEMBER"),
                        "member_a": ("MEMBER", None), "member_b": (None, "MEMBER")}.items():
        user = UserFactory()
        for org, role in zip((a, b), roles):
            if role:
                MembershipFactory(user=user, organization=org, role=role)
        people[name] = user
    return a, b, people


def shooting_in(org, owner, *, public_catalog=True, with_media=True):
    """A shooting of `org` with a look and a shot; its catalog public (shareable) unless told
    otherwise, and a revision whose image was stored for the shooting."""
    shooting = ShootingFactory(owner=owner, organization=org)
    catalog = {"owner": owner, "organization": None if public_catalog else org, "public": public_catalog}
    look = LookFactory(shooting=shooting, product=ProductFactory(**catalog), subject=SubjectFactory(**catalog))
    shot = ShotFactory(shooting_look=look, shot_type=ShotTypeFactory(**catalog))
    revision = add_revision(shot, "PROPOSAL")
    if with_media:
        image = revision.images.first()
        image.image_media = MediaResourceFactory(owner=owner, organization=org)
        image.save()
    return shooting


def move(user, shooting, target):
    return client_for(user).patch(f"/api/v1/shootings/{shooting.pk}",
                                  {"organization_id": str(target.pk) if target else None}, format="json")


@pytest.mark.parametrize("who", ["member_both", "member_a_admin_b", "admin_a_member_b", "member_a"])
def test_only_admins_of_both_organizations_move_a_shooting(two_orgs, who):
    a, b, people = two_orgs
    shooting = shooting_in(a, people["admin_both"])
    response = move(people[who], shooting, b)
    assert (response.status_code, response.json()) == (403, FORBIDDEN)
    assert Shooting.objects.get(pk=shooting.pk).organization_id == a.pk
    # The owner of A still reads it; B's members do not.
    assert client_for(people["admin_a_member_b"]).get(f"/api/v1/shootings/{shooting.pk}").status_code == 200


def test_an_admin_of_both_moves_it_with_its_own_images(two_orgs):
    a, b, people = two_orgs
    shooting = shooting_in(a, people["member_a"])
    media = shooting.looks.get().shots.get().current_revision.images.get().image_media
    response = move(people["admin_both"], shooting, b)
    assert response.status_code == 200, response.json()
    assert response.json()["organization_id"] == str(b.pk)
    media.refresh_from_db()
    assert media.organization_id == b.pk  # the image went with the shooting
    outsider_of_b = people["member_a"]
    assert client_for(outsider_of_b).get(f"/api/v1/shootings/{shooting.pk}").status_code == 403
    assert client_for(outsider_of_b).get(f"/api/v1/media-resources/{media.pk}").status_code == 403
    member_of_b = people["member_both"]
    assert client_for(member_of_b).get(f"/api/v1/media-resources/{media.pk}").status_code == 200


@pytest.mark.parametrize("private", ["product", "subject", "shot_type", "guidelines"])
def test_a_shooting_using_the_old_tenants_catalog_stays(two_orgs, private):
    a, b, people = two_orgs
    shooting = shooting_in(a, people["admin_both"])
    look = shooting.looks.get()
    owner = people["admin_both"]
    if private == "product":
        look.product = ProductFactory(owner=owner, organization=a)
        look.save()
    elif private == "subject":
        look.subject = SubjectFactory(owner=owner, organization=a)
        look.save()
    elif private == "shot_type":
        shot = look.shots.get()
        shot.shot_type = ShotTypeFactory(owner=owner, organization=a)
        shot.save()
    else:
        from sartiq.catalog.models import ShootingGuidelines

        shooting.default_guidelines = ShootingGuidelines.objects.create(owner=owner, organization=a, name="G")
        shooting.save()
    response = move(owner, shooting, b)
    assert response.status_code == 400
    assert "move or share it first" in response.json()["detail"]
    assert Shooting.objects.get(pk=shooting.pk).organization_id == a.pk
    # B's members see none of A's catalog through the shooting.
    assert client_for(people["member_b"]).get(f"/api/v1/shootings/{shooting.pk}").status_code == 403


def test_an_image_also_used_outside_the_shooting_stops_the_move(two_orgs):
    a, b, people = two_orgs
    shooting = shooting_in(a, people["admin_both"])
    media = shooting.looks.get().shots.get().current_revision.images.get().image_media
    ProductFactory(owner=people["admin_both"], organization=a, cover_image_media=media)
    response = move(people["admin_both"], shooting, b)
    assert response.status_code == 400 and "also used outside this shooting" in response.json()["detail"]
    media.refresh_from_db()
    assert (media.organization_id, Shooting.objects.get(pk=shooting.pk).organization_id) == (a.pk, a.pk)


def test_exports_to_the_old_tenants_integrations_stop_the_move(two_orgs):
    a, b, people = two_orgs
    shooting = shooting_in(a, people["admin_both"])
    integration = ExternalIntegration.objects.create(owner=people["admin_both"], organization=a, name="OVS")
    ExternalImagePush.objects.create(revision=shooting.looks.get().shots.get().current_revision,
                                     integration=integration)
    response = move(people["admin_both"], shooting, b)
    assert response.status_code == 400 and "integrations" in response.json()["detail"]


def test_assignees_must_see_the_target(two_orgs):
    a, b, people = two_orgs
    shooting = shooting_in(a, people["admin_both"])
    look = shooting.looks.get()
    look.assignee = people["member_a"]  # not in B
    look.save()
    assert move(people["admin_both"], shooting, b).status_code == 400
    look.assignee = people["member_both"]
    look.save()
    assert move(people["admin_both"], shooting, b).status_code == 200


def test_personal_shootings_move_in_and_out_only_by_their_owner(two_orgs):
    a, b, people = two_orgs
    owner = people["admin_a_member_b"]
    personal = shooting_in(None, owner)
    assert move(owner, personal, b).status_code == 403  # only a MEMBER of B
    assert move(people["admin_both"], personal, a).status_code == 403  # not the owner (nor can see it)
    assert move(owner, personal, a).status_code == 200
    media = personal.looks.get().shots.get().current_revision.images.get().image_media
    media.refresh_from_db()
    assert media.organization_id == a.pk
    # Back to personal: only the shooting's owner (also an admin of A) may.
    assert move(people["admin_both"], personal, None).status_code == 403
    assert move(owner, personal, None).status_code == 200
    media.refresh_from_db()
    assert (media.organization_id, media.owner_id) == (None, owner.pk)


def test_a_personal_shootings_private_catalog_does_not_follow_it(two_orgs):
    a, _, people = two_orgs
    owner = people["admin_both"]
    personal = shooting_in(None, owner, public_catalog=False)
    personal.looks.update(product=ProductFactory(owner=owner))
    response = move(owner, personal, a)
    assert response.status_code == 400
    assert Shooting.objects.get(pk=personal.pk).organization_id is None


def test_changing_guidelines_and_organization_together(two_orgs):
    from sartiq.catalog.models import ShootingGuidelines

    a, b, people = two_orgs
    owner = people["admin_both"]
    shooting = shooting_in(a, owner)
    shooting.default_guidelines = ShootingGuidelines.objects.create(owner=owner, organization=a, name="A's")
    shooting.save()
    b_guidelines = ShootingGuidelines.objects.create(owner=owner, organization=b, name="B's")
    response = client_for(owner).patch(f"/api/v1/shootings/{shooting.pk}", {
        "organization_id": str(b.pk), "default_guidelines_id": str(b_guidelines.pk)}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["default_guidelines_id"] == str(b_guidelines.pk)
    a_guidelines = ShootingGuidelines.objects.create(owner=owner, organization=a, name="A's again")
    response = client_for(owner).patch(f"/api/v1/shootings/{shooting.pk}", {
        "default_guidelines_id": str(a_guidelines.pk)}, format="json")
    assert response.status_code == 400

