"""An export keeps its revision (integrations.models.keep_exported_revision, the `on_delete` of a
push's revision): the revision services answer 409 when they would delete an exported revision,
and know nothing of pushes; deleting a whole shot, look or shooting still takes pushes along."""
import base64

import pytest

from conftest import client_for
from integrations.choices import PushStatus
from integrations.models import ExternalImagePush, ExternalIntegration
from sartiq.errors import Conflict
from sartiq.media.tests.factories import png_bytes
from shootings import services as shooting_services
from shootings.tests.factories import ShootingFactory, ShotFactory
from shots import services
from shots.models import Shot, ShotRevision

pytestmark = pytest.mark.django_db


@pytest.fixture
def shot(user):
    return ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))


def revise(user, shot) -> ShotRevision:
    image = {"image_data": base64.b64encode(png_bytes((12, 12))).decode()}
    return services.revision_create(user=user, shot=shot, shot_status="APPROVED", images=[image])


def push(user, revision, status=PushStatus.COMPLETED) -> ExternalImagePush:
    integration = ExternalIntegration.objects.create(owner=user, name=f"OVS {status}")
    return ExternalImagePush.objects.create(revision=revision, integration=integration, push_status=status)


@pytest.mark.parametrize("status", [PushStatus.PENDING, PushStatus.IN_PROGRESS, PushStatus.AWAITING_CONFIRMATION,
                                    PushStatus.COMPLETED])
def test_restore_is_refused_and_nothing_changes(user, shot, status):
    first, second = revise(user, shot), revise(user, shot)
    exported = push(user, second, status)
    with pytest.raises(Conflict, match="A later revision has been exported; it cannot be deleted"):
        services.revision_restore(user=user, revision=first)
    assert Shot.objects.get(pk=shot.pk).current_revision_id == second.pk  # the shot's save rolled back
    assert ShotRevision.objects.filter(shot=shot).count() == 2 and ExternalImagePush.objects.filter(pk=exported.pk).exists()


def test_delete_of_an_exported_revision_is_refused(user, shot):
    revise(user, shot)
    second = revise(user, shot)
    exported = push(user, second)
    with pytest.raises(Conflict, match="The revision has been exported; it cannot be deleted"):
        services.revision_delete(user=user, revision=second)
    assert Shot.objects.get(pk=shot.pk).current_revision_id == second.pk
    assert ShotRevision.objects.filter(shot=shot).count() == 2 and ExternalImagePush.objects.filter(pk=exported.pk).exists()


def test_a_failed_push_goes_with_its_revision(user, shot):
    first, second = revise(user, shot), revise(user, shot)
    failed = push(user, second, PushStatus.FAILED)
    services.revision_delete(user=user, revision=second)
    assert not ExternalImagePush.objects.filter(pk=failed.pk).exists()
    assert Shot.objects.get(pk=shot.pk).current_revision_id == first.pk


def test_deleting_the_shot_look_or_shooting_takes_exports_along(user, shot):
    push(user, revise(user, shot))
    services.shot_delete(user=user, shot=shot)
    assert not ExternalImagePush.objects.exists()

    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    push(user, revise(user, shot))
    shooting_services.look_delete(user=user, look=shot.shooting_look)
    assert not ExternalImagePush.objects.exists()

    shot = ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))
    push(user, revise(user, shot))
    shooting_services.shooting_delete(user=user, shooting=shot.shooting_look.shooting)
    assert not ExternalImagePush.objects.exists() and not ShotRevision.objects.exists()


def test_over_http_both_refusals_are_409(user, shot):
    first, second = revise(user, shot), revise(user, shot)
    push(user, second)
    client = client_for(user)
    restore = client.post(f"/api/v1/shots/revisions/{first.pk}/restore")
    assert (restore.status_code, restore.json()) == (
        409, {"detail": "A later revision has been exported; it cannot be deleted"})
    delete = client.delete(f"/api/v1/shots/revisions/{second.pk}")
    assert (delete.status_code, delete.json()) == (409, {"detail": "The revision has been exported; it cannot be deleted"})
    assert ShotRevision.objects.filter(shot=shot).count() == 2
