"""Every admin write goes through a service (issue 12): status, tenant and counter fields are
read-only, edits call the update service, deletes the delete service (so stored images are
released and the chain's rules hold), and a refusal changes nothing."""
import pytest
from django.urls import reverse

from outfits.models import Outfit
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory
from sartiq.catalog.tests.factories import ShotTypeFactory
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import MediaResourceFactory
from shootings.models import Shooting, ShootingLook
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from shots.choices import ShotStatus
from shots.models import Shot, ShotRevision

pytestmark = pytest.mark.django_db

INLINES = {f"{prefix}-{name}": value for prefix in ("looks", "shots", "images", "outfit_product_links")
           for name, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"), ("MIN_NUM_FORMS", "0"),
                               ("MAX_NUM_FORMS", "1000"))}


@pytest.fixture
def admin(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def shooting(user, org):
    return ShootingFactory(owner=user, organization=org, name="Ours")


def shot_with_stored_image(look, status=ShotStatus.PROPOSAL) -> tuple[Shot, MediaResource]:
    shot = ShotFactory(shooting_look=look)
    revision = add_revision(shot, status)
    media = MediaResourceFactory(owner=look.shooting.owner, organization=look.shooting.organization)
    revision.images.update(image_media=media)
    return shot, media


def change(admin, model, obj, data):
    return admin.post(reverse(f"admin:{model}_change", args=[obj.pk]), {**INLINES, **data})


def delete(admin, model, obj):
    return admin.post(reverse(f"admin:{model}_delete", args=[obj.pk]), {"post": "yes"})


def test_a_shooting_keeps_its_organization_and_is_deleted_with_its_images(admin, shooting, other_user):
    other_org = MembershipFactory(user=other_user, role=MembershipRole.OWNER).organization
    response = change(admin, "shootings_shooting", shooting, {
        "name": "Renamed", "organization": str(other_org.pk), "owner": str(other_user.pk),
        "due_date_0": "", "due_date_1": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    shooting.refresh_from_db()
    assert (shooting.name, shooting.organization_id, shooting.owner_id) == ("Renamed", shooting.organization_id,
                                                                         shooting.owner_id)
    assert shooting.organization_id != other_org.pk
    _, media = shot_with_stored_image(LookFactory(shooting=shooting))

    assert delete(admin, "shootings_shooting", shooting).status_code == 302
    assert not Shooting.objects.filter(pk=shooting.pk).exists()
    assert not MediaResource.objects.filter(pk=media.pk).exists()  # shooting_delete released it


def test_a_looks_status_is_not_edited_and_its_delete_releases_the_images(admin, shooting):
    look = LookFactory(shooting=shooting, file_format="JPG")
    response = change(admin, "shootings_shootinglook", look, {
        "subject": str(look.subject_id), "product": str(look.product_id), "file_format": "PNG",
        "status": "READY", "shooting": str(ShootingFactory().pk)})
    assert response.status_code == 302, response.content.decode()[:2000]
    look.refresh_from_db()
    assert (look.file_format, look.status, look.shooting_id) == ("PNG", "DRAFT", shooting.pk)
    _, media = shot_with_stored_image(look)

    assert delete(admin, "shootings_shootinglook", look).status_code == 302
    assert not ShootingLook.objects.filter(pk=look.pk).exists()
    assert not MediaResource.objects.filter(pk=media.pk).exists()


def test_a_look_refused_by_the_service_is_unchanged(admin, shooting, other_user):
    look = LookFactory(shooting=shooting)
    response = change(admin, "shootings_shootinglook", look, {
        "subject": str(look.subject_id), "product": str(look.product_id), "file_format": "JPG",
        "assignee": str(other_user.pk)})  # not a member: look_update refuses
    assert response.status_code == 302
    look.refresh_from_db()
    assert look.assignee_id is None


def test_a_shots_counters_are_not_edited_and_its_shot_type_is_checked(admin, shooting):
    shot, media = shot_with_stored_image(LookFactory(shooting=shooting))
    sibling = ShotFactory(shooting_look=shot.shooting_look)
    data = {"shot_type": str(sibling.shot_type_id), "rework_available": "99", "rework_used": "7"}
    change(admin, "shots_shot", shot, data)  # the look already has a shot of that type: refused
    shot.refresh_from_db()
    assert (shot.shot_type_id, shot.rework_available, shot.rework_used) != (sibling.shot_type_id, 99, 7)
    assert shot.shot_type_id != sibling.shot_type_id and shot.rework_used == 0
    free = ShotTypeFactory(owner=shooting.owner, organization=shooting.organization)
    assert change(admin, "shots_shot", shot, {**data, "shot_type": str(free.pk)}).status_code == 302
    shot.refresh_from_db()
    assert (shot.shot_type_id, shot.rework_used) == (free.pk, 0)

    assert delete(admin, "shots_shot", shot).status_code == 302
    assert not Shot.objects.filter(pk=shot.pk).exists()
    assert not MediaResource.objects.filter(pk=media.pk).exists()


def test_a_revisions_status_is_not_edited_and_its_delete_keeps_the_chain(admin, shooting):
    shot, media = shot_with_stored_image(LookFactory(shooting=shooting), ShotStatus.PROPOSAL)
    first = shot.current_revision
    change(admin, "shots_shotrevision", first, {"shot_status": ShotStatus.APPROVED, "notes": "edited"})
    first.refresh_from_db()
    assert (first.shot_status, first.notes) == (ShotStatus.PROPOSAL, None)
    second = add_revision(shot, ShotStatus.REVIEW)

    delete(admin, "shots_shotrevision", first)  # another revision follows it: revision_delete refuses
    assert ShotRevision.objects.filter(pk=first.pk).exists()
    assert delete(admin, "shots_shotrevision", second).status_code == 302
    assert delete(admin, "shots_shotrevision", first).status_code == 302
    assert not ShotRevision.objects.filter(shot=shot).exists()
    assert not MediaResource.objects.filter(pk=media.pk).exists()


def test_outfits_are_read_only_in_the_admin(admin, shooting):
    outfit = Outfit.objects.create(shooting_look=LookFactory(shooting=shooting), outfit_instruction="before")
    change(admin, "outfits_outfit", outfit, {"outfit_instruction": "after", "generation_status": "FAILED"})
    delete(admin, "outfits_outfit", outfit)
    outfit.refresh_from_db()
    assert outfit.outfit_instruction == "before"


def test_generations_and_pushes_are_not_deleted_in_the_admin(admin, shooting, superuser):
    from integrations.models import ExternalImagePush, ExternalIntegration
    from shots.models import Generation

    shot, _ = shot_with_stored_image(LookFactory(shooting=shooting), ShotStatus.APPROVED)
    generation = Generation.objects.create(shot=shot)
    integration = ExternalIntegration.objects.create(owner=shooting.owner, organization=shooting.organization,
                                                     name="OVS")
    push = ExternalImagePush.objects.create(revision=shot.current_revision, integration=integration)
    assert delete(admin, "shots_generation", generation).status_code == 403
    assert delete(admin, "integrations_externalimagepush", push).status_code == 403
    assert Generation.objects.filter(pk=generation.pk).exists() and ExternalImagePush.objects.filter(pk=push.pk).exists()
