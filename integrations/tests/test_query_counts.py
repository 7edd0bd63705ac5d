"""Integration, mapping, push and generation reads run a constant number of queries."""
import pytest

from conftest import client_for
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping, PushAttempt
from sartiq.catalog.tests.factories import ProductFactory
from sartiq.media.tests.factories import MediaResourceFactory
from shootings.tests.factories import ShootingFactory, ShotFactory, add_revision
from shots.models import Generation, Prediction

pytestmark = pytest.mark.django_db
AUTH, COUNT, ROWS = 1, 1, 1


def add_rows(user, shooting, integration):
    shot = ShotFactory(shooting_look__shooting=shooting)
    revision = add_revision(shot, "APPROVED")
    push = ExternalImagePush.objects.create(revision=revision, integration=integration)
    PushAttempt.objects.create(push=push, started_at=push.created_at, http_status=201)
    ExternalProductMapping.objects.create(product=ProductFactory(owner=user), integration=integration)
    generation = Generation.objects.create(shot=shot)
    Prediction.objects.create(generation=generation, media=MediaResourceFactory(owner=user))


def test_reads_are_constant(user, query_counts):
    client = client_for(user)
    shooting = ShootingFactory(owner=user)
    integration = ExternalIntegration.objects.create(owner=user, name="OVS")
    add_rows(user, shooting, integration)
    urls = {
        "/api/v1/external-integrations/": AUTH + COUNT + ROWS,
        "/api/v1/external-product-mappings/": AUTH + COUNT + ROWS,
        # pushes, their attempts
        "/api/v1/external-image-pushes/": AUTH + COUNT + ROWS + 1,
        # generations (shot and look joined), their predictions (media joined)
        "/api/v1/generations/": AUTH + COUNT + ROWS + 1,
    }
    one = {url: query_counts.measure(client, url) for url in urls}
    for _ in range(10):
        add_rows(user, shooting, integration)
    many = {url: query_counts.measure(client, url) for url in urls}
    query_counts.check(urls, one, many)
