"""Shot reads run a constant number of queries, at 1 shot and at many."""
import pytest

from conftest import client_for
from integrations.models import ExternalImagePush, ExternalIntegration
from sartiq.media.tests.factories import MediaResourceFactory
from shootings.tests.factories import ShootingFactory, ShotFactory, add_revision

pytestmark = pytest.mark.django_db

AUTH, COUNT = 1, 1
# shots with their shot type (and its media) joined and the status annotated; their revisions (owner
# joined, push status annotated); the revisions' images (media joined); the push records
SHOT_TREE = 1 + 1 + 1 + 1
# A shot by id answers conditionally (sartiq/api/conditional.py): first the shot with its shooting's
# version (the access check's join) and the global version, and the caller's memberships.
ETAG = 1 + 1


def loaded_shot(shooting, integration):
    shot = ShotFactory(shooting_look__shooting=shooting, shot_type__reference_image=MediaResourceFactory())
    for status in ("PROPOSAL", "REJECTED", "APPROVED"):
        revision = add_revision(shot, status, images=2, owner=shooting.owner)
        image = revision.images.first()
        image.image_media = MediaResourceFactory()
        image.save()
        ExternalImagePush.objects.create(revision=revision, integration=integration)
    return shot


def test_shot_reads_are_constant(user, query_counts):
    client = client_for(user)
    shooting = ShootingFactory(owner=user)
    integration = ExternalIntegration.objects.create(owner=user, name="OVS")
    first = loaded_shot(shooting, integration)
    revision_id = first.current_revision_id
    urls = {
        "/api/v1/shots/": AUTH + COUNT + SHOT_TREE,
        f"/api/v1/shots/?shooting_id={shooting.pk}&status=APPROVED&has_generations=false": AUTH + COUNT + SHOT_TREE,
        f"/api/v1/shots/{first.pk}": AUTH + ETAG + SHOT_TREE,
        # the revision, its images, its push records
        f"/api/v1/shots/revisions/{revision_id}": AUTH + 3,
        "/api/v1/export-configuration": AUTH + 1,
    }
    one = {url: query_counts.measure(client, url) for url in urls}
    for _ in range(15):
        loaded_shot(shooting, integration)
    many = {url: query_counts.measure(client, url) for url in urls}
    query_counts.check(urls, one, many)
