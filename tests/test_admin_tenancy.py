"""The admin's forms follow the tenancy rule for staff who are not superusers (issue 10): choice
lists offer only what they may see, references must serve the edited object's audience, owners and
organizations are not edited, and privileges are granted by superusers only."""
import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import User
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.catalog.models import Product
from sartiq.catalog.tests.factories import ProductFactory, ShotTypeFactory, SubjectFactory
from shootings.models import Shooting
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory

pytestmark = pytest.mark.django_db


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


@pytest.fixture
def staff(org):
    """A staff member of `org` (not a superuser) with the Reviewers' rights and a few more."""
    member = UserFactory(is_staff=True)
    MembershipFactory(user=member, organization=org, role=MembershipRole.ADMIN)
    member.groups.add(Group.objects.get(name="Reviewers"))
    grant(member, "change_shooting", "change_shootinglook", "add_product", "change_product", "change_subject",
          "view_shottype", "change_user", "view_user", "view_organization",
          "add_subjectbaseimage", "change_subjectbaseimage", "view_subjectbaseimage")
    return member


@pytest.fixture
def theirs(other_user):
    """Another organization's catalog."""
    other_org = MembershipFactory(user=other_user, role=MembershipRole.OWNER).organization
    return {"org": other_org,
            "product": ProductFactory(owner=other_user, organization=other_org, name="Their secret jacket"),
            "shot_type": ShotTypeFactory(owner=other_user, organization=other_org, name="Their secret angle")}


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def test_a_shot_cannot_take_another_organizations_shot_type(admin_client, user, org, theirs):
    shot = ShotFactory(shooting_look=LookFactory(shooting=ShootingFactory(owner=user, organization=org)))
    before = shot.shot_type_id
    response = admin_client.post(reverse("admin:shots_shot_change", args=[shot.pk]), {
        "shot_type": str(theirs["shot_type"].pk), "pose_preset": "", "rework_available": "2", "rework_used": "0"})
    assert response.status_code == 200  # the form again, with the error
    assert "errornote" in response.content.decode()
    shot.refresh_from_db()
    assert shot.shot_type_id == before


def test_a_look_cannot_take_another_organizations_product(admin_client, user, org, theirs):
    look = LookFactory(shooting=ShootingFactory(owner=user, organization=org))
    before = look.product_id
    data = {"shooting": str(look.shooting_id), "subject": str(look.subject_id), "product": str(theirs["product"].pk),
            "file_format": "JPG", "status": "DRAFT", "instructions": "",
            "shots-TOTAL_FORMS": "0", "shots-INITIAL_FORMS": "0", "shots-MIN_NUM_FORMS": "0",
            "shots-MAX_NUM_FORMS": "1000"}
    response = admin_client.post(reverse("admin:shootings_shootinglook_change", args=[look.pk]), data)
    assert response.status_code == 200 and "errornote" in response.content.decode()
    look.refresh_from_db()
    assert look.product_id == before


def test_organizations_and_owners_are_not_edited_in_the_admin(admin_client, user, org, theirs, staff):
    shooting = ShootingFactory(owner=user, organization=org, name="Ours")
    MembershipFactory(user=staff, organization=theirs["org"], role=MembershipRole.ADMIN)
    response = admin_client.post(reverse("admin:shootings_shooting_change", args=[shooting.pk]), {
        "name": "Ours", "organization": str(theirs["org"].pk), "owner": str(staff.pk), "season": "FW26",
        "due_date_0": "2030-01-01", "due_date_1": "10:00:00", "looks-TOTAL_FORMS": "0", "looks-INITIAL_FORMS": "0",
        "looks-MIN_NUM_FORMS": "0", "looks-MAX_NUM_FORMS": "1000"})
    assert response.status_code == 302, response.content.decode()[:2000]
    shooting = Shooting.objects.get(pk=shooting.pk)
    assert (shooting.organization_id, shooting.owner_id) == (org.pk, user.pk)


def test_choice_lists_offer_only_what_the_staff_member_sees(admin_client, user, org, theirs):
    subject = SubjectFactory(owner=user, organization=org)
    page = admin_client.get(reverse("admin:catalog_subject_change", args=[subject.pk])).content.decode()
    assert "Their secret angle" not in page  # the base images' shot type choices
    found = admin_client.get(reverse("admin:autocomplete"), {
        "app_label": "catalog", "model_name": "product", "field_name": "organization", "term": ""}).json()
    assert [r["text"] for r in found["results"]] == [org.name]


def test_a_product_added_by_staff_is_theirs_in_one_of_their_organizations(admin_client, staff, org, theirs):
    base = {"name": "New", "gender": "UNISEX", "reference_images": "[]", "data_image_urls": "[]", "enabled": "on"}
    response = admin_client.post(reverse("admin:catalog_product_add"), {**base, "organization": str(theirs["org"].pk)})
    assert response.status_code == 200 and not Product.objects.filter(name="New").exists()
    response = admin_client.post(reverse("admin:catalog_product_add"), {**base, "organization": str(org.pk)})
    assert response.status_code == 302, response.content.decode()[:3000]
    product = Product.objects.get(name="New")
    assert (product.owner_id, product.organization_id) == (staff.pk, org.pk)


def test_staff_do_not_grant_privileges(admin_client, staff):
    response = admin_client.post(reverse("admin:accounts_user_change", args=[staff.pk]), {
        "email": staff.email, "full_name": "Me", "is_active": "on", "is_staff": "on", "is_superuser": "on"})
    assert response.status_code == 302
    staff.refresh_from_db()
    assert not staff.is_superuser
    outsider = UserFactory()  # shares no organization with the staff member
    assert admin_client.get(reverse("admin:accounts_user_change", args=[outsider.pk])).status_code == 302
    assert User.objects.filter(pk=outsider.pk, is_superuser=False).exists()



def test_deleting_an_organizations_last_owner_is_refused(client, superuser, user, org):
    """Memberships cascade with their user: the admin must not delete the last owner."""
    client.force_login(superuser)
    page = client.post(reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"})
    assert page.status_code == 200 and "last owner" in page.content.decode()
    assert User.objects.filter(pk=user.pk).exists()
    bulk = client.post(reverse("admin:accounts_user_changelist"),
                       {"action": "delete_selected", "_selected_action": [str(user.pk)], "post": "yes"})
    assert "last owner" in bulk.content.decode() and User.objects.filter(pk=user.pk).exists()
    other_owner = UserFactory()
    MembershipFactory(user=other_owner, organization=org, role=MembershipRole.OWNER)
    client.post(reverse("admin:accounts_user_delete", args=[user.pk]), {"post": "yes"})
    assert not User.objects.filter(pk=user.pk).exists()
