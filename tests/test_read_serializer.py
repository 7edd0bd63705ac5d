"""The fast output path renders exactly what Django REST framework's own path renders."""
import json

import pytest
from rest_framework import serializers

from integrations.selectors import shooting_details
from sartiq.api.serializers import ReadSerializer
from sartiq.catalog.tests.factories import ShootingGuidelinesFactory, ShotTypeFactory, fully_loaded
from shootings.api.serializers import ShootingDetailPublicSerializer
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, fully_loaded_look, look_with_shots

pytestmark = pytest.mark.django_db


def rendered(user, shooting):
    # Through the serializers (the endpoint builds its body from rows: shootings/tests/test_documents.py).
    data = ShootingDetailPublicSerializer(shooting_details(user).get(pk=shooting.pk), context={}).data
    return json.dumps(data, sort_keys=True, default=str)


@pytest.fixture
def shooting(user):
    shooting = ShootingFactory(owner=user, default_guidelines=fully_loaded(ShootingGuidelinesFactory, owner=user))
    fully_loaded_look(shooting)
    fully_loaded_look(shooting, shots=1)
    look_with_shots(shooting, statuses=[None, "REVIEW"], status="READY")
    return shooting


def test_fast_path_matches_drf(user, shooting, monkeypatch):
    fast = rendered(user, shooting)
    monkeypatch.setattr(ReadSerializer, "to_representation", serializers.ModelSerializer.to_representation)
    assert rendered(user, shooting) == fast


def test_shared_objects_are_rendered_once_per_request(user):
    shooting = ShootingFactory(owner=user)
    shot_type = ShotTypeFactory(owner=user)
    for _ in range(3):
        ShotFactory(shooting_look=LookFactory(shooting=shooting), shot_type=shot_type)
    serializer = ShootingDetailPublicSerializer(shooting_details(user).get(pk=shooting.pk), context={})
    rendered_types = [shot["shot_type"] for look in serializer.data["looks"] for shot in look["shots"]]
    assert len(rendered_types) == 3
    # One rendering, reused: the three entries are the same dict.
    assert rendered_types[0] is rendered_types[1] is rendered_types[2]
    assert serializer.context["_read_memo"][(type(serializer.fields["looks"].child.fields["shots"].child
                                                 .fields["shot_type"]), shot_type.pk)] is rendered_types[0]
