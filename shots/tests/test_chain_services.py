"""The chain operations at the service level (shots.services): what the API, the admin and the
generation worker all call. The API tests (test_revisions.py) cover the same rules over HTTP."""
import base64

import pytest

from integrations.choices import PushStatus
from integrations.models import ExternalImagePush, ExternalIntegration
from sartiq.errors import BusinessRuleError, Conflict, InvalidInput, NotFound, PermissionDenied
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import png_bytes
from shootings.tests.factories import ShootingFactory, ShotFactory
from shots import services
from shots.models import Shot, ShotRevision

pytestmark = pytest.mark.django_db


@pytest.fixture
def shot(user):
    return ShotFactory(shooting_look__shooting=ShootingFactory(owner=user))


def image() -> dict:
    return {"image_data": base64.b64encode(png_bytes((12, 12))).decode()}


def revise(user, shot, status="PROPOSAL", **kwargs) -> ShotRevision:
    return services.revision_create(user=user, shot=shot, shot_status=status, images=[image()], **kwargs)


def chain_of(shot) -> list[tuple[int, int | None]]:
    """(version, previous version) of each revision, oldest first."""
    return [(r.version, r.previous_revision.version if r.previous_revision else None)
            for r in ShotRevision.objects.filter(shot=shot).select_related("previous_revision").order_by("version")]


def current(shot) -> ShotRevision | None:
    return Shot.objects.get(pk=shot.pk).current_revision


def test_create_appends_to_the_chain_and_becomes_current(user, shot):
    first = revise(user, shot, "PROPOSAL")
    second = revise(user, shot, "REVIEW")
    assert chain_of(shot) == [(1, None), (2, 1)]
    assert current(shot) == second and second.images.get().image_media.width == 12
    services.revision_set_current(user=user, revision=first)
    third = revise(user, shot, "POST_PROD")  # follows the current one, not the last
    assert (third.version, third.previous_revision_id) == (3, first.pk)
    starter = revise(user, shot, previous_revision_id=None)  # starts a chain of its own
    assert (starter.version, starter.previous_revision_id) == (4, None)


def test_create_refuses_a_previous_revision_of_another_shot_or_none_at_all(user, shot):
    other = revise(user, ShotFactory(shooting_look=shot.shooting_look))
    with pytest.raises(BusinessRuleError, match="previous_revision_id is not a revision of this shot"):
        revise(user, shot, previous_revision_id=other.pk)
    with pytest.raises(NotFound):
        revise(user, shot, previous_revision_id=ShotRevision().pk)
    assert chain_of(shot) == []


def test_create_names_the_image_field_it_refuses(user, shot):
    with pytest.raises(InvalidInput) as refused:
        services.revision_create(user=user, shot=shot, shot_status="PROPOSAL",
                                 images=[image(), {"image_data": "not base64!"}])
    assert (refused.value.field, refused.value.source) == (("images", 1, "image_data"), "body")
    assert chain_of(shot) == [] and not MediaResource.objects.exists()  # the first image's file too


def test_delete_refuses_a_revision_another_follows_and_moves_current_back(user, shot):
    first, second = revise(user, shot), revise(user, shot)
    with pytest.raises(Conflict):
        services.revision_delete(user=user, revision=first)
    media = second.images.get().image_media_id
    services.revision_delete(user=user, revision=second)
    assert current(shot) == first and chain_of(shot) == [(1, None)]
    assert not MediaResource.objects.filter(pk=media).exists()  # only it used the image
    assert revise(user, shot).version == 3  # a deleted version is never given again


def test_restore_deletes_what_follows_unless_it_was_exported(user, shot):
    first, second = revise(user, shot), revise(user, shot)
    third = revise(user, shot)
    integration = ExternalIntegration.objects.create(owner=user, name="OVS")
    push = ExternalImagePush.objects.create(revision=third, integration=integration,
                                            push_status=PushStatus.COMPLETED)
    with pytest.raises(Conflict, match="exported"):
        services.revision_restore(user=user, revision=first)
    assert chain_of(shot) == [(1, None), (2, 1), (3, 2)]
    ExternalImagePush.objects.filter(pk=push.pk).update(push_status=PushStatus.FAILED)  # a failed export counts not
    assert services.revision_restore(user=user, revision=first) == first
    assert current(shot) == first and chain_of(shot) == [(1, None)]
    assert services.revision_restore(user=user, revision=first) == first  # already current: nothing to do
    assert not ShotRevision.objects.filter(pk__in=[second.pk, third.pk]).exists()


def test_chain_operations_check_the_caller(user, other_user, shot):
    first = revise(user, shot)
    for operation in (services.revision_set_current, services.revision_delete, services.revision_restore):
        with pytest.raises((PermissionDenied, NotFound)):
            operation(user=other_user, revision=first)
    with pytest.raises((PermissionDenied, NotFound)):
        revise(other_user, shot)
    assert chain_of(shot) == [(1, None)] and current(shot) == first


def test_the_system_writes_a_revision_for_its_owner(user, shot):
    """A worker storing a generation's result: no caller to check, the owner owns the revision."""
    revision = services.revision_create(user=None, owner=user, shot=shot, shot_status="PROPOSAL", images=[image()])
    assert revision.owner == user and revision.images.get().image_media.owner == user
