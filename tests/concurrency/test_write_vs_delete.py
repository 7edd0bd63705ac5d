"""A write racing the deletion of its object or of its parent (found by `make fuzz`, issue 11): each
side answers as it would one after the other (the write succeeds and the delete then removes it, or
the delete wins and the write is a 404), never a 500."""
import pytest

from conftest import client_for
from sartiq.accounts.tests.factories import UserFactory
from sartiq.catalog.tests.factories import ProductFactory, ShotTypeFactory, SubjectFactory
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory, add_revision
from tests.concurrency.race import ROUNDS, at_once, statuses

pytestmark = [pytest.mark.timeout(300)]
race_db = pytest.mark.django_db(transaction=True)

WRITE_OK = {200}
GONE = {404}


def rounds(make, write, delete, *, write_ok=WRITE_OK, delete_ok=(200, 204), also_gone=()):
    for round_ in range(ROUNDS):
        objects = make()
        responses = at_once(lambda o=objects: write(o), lambda o=objects: delete(o))
        written, deleted = statuses(responses)
        assert written in set(write_ok) | GONE | set(also_gone), (round_, responses[0],
                                                                   getattr(responses[0], "content", b"")[:400])
        assert deleted in set(delete_ok), (round_, responses[1], getattr(responses[1], "content", b"")[:400])


@race_db
def test_a_product_renamed_while_deleted():
    def make():
        user = UserFactory()
        return user, ProductFactory(owner=user)

    rounds(make, lambda o: client_for(o[0]).put(f"/api/v1/products/{o[1].pk}", {"name": "renamed"}, format="json"),
           lambda o: client_for(o[0]).delete(f"/api/v1/products/{o[1].pk}"))


@race_db
def test_a_look_updated_while_deleted():
    def make():
        user = UserFactory()
        return user, LookFactory(shooting=ShootingFactory(owner=user))

    rounds(make, lambda o: client_for(o[0]).put(f"/api/v1/shootings/{o[1].shooting_id}/looks/{o[1].pk}",
                                                {"instructions": "x"}, format="json"),
           lambda o: client_for(o[0]).delete(f"/api/v1/shootings/{o[1].shooting_id}/looks/{o[1].pk}"))


@race_db
def test_looks_created_while_their_shooting_is_deleted():
    def make():
        user = UserFactory()
        shooting = ShootingFactory(owner=user)
        return user, shooting, ProductFactory(owner=user), SubjectFactory(owner=user, gender="FEMALE"), \
            ShotTypeFactory(owner=user)

    rounds(make, lambda o: client_for(o[0]).post(f"/api/v1/shootings/{o[1].pk}/looks", {
        "product_ids": [str(o[2].pk)], "subject_ids": [str(o[3].pk)], "shot_type_ids": [str(o[4].pk)]},
        format="json"),
        lambda o: client_for(o[0]).delete(f"/api/v1/shootings/{o[1].pk}"))


@race_db
def test_an_outfit_added_while_its_look_is_deleted():
    def make():
        user = UserFactory()
        return user, LookFactory(shooting=ShootingFactory(owner=user))

    rounds(make, lambda o: client_for(o[0]).post("/api/v1/outfits/", {
        "shooting_look_id": str(o[1].pk), "outfit_instruction": "with a scarf"}, format="json"),
        lambda o: client_for(o[0]).delete(f"/api/v1/shootings/{o[1].shooting_id}/looks/{o[1].pk}"))


def _shot(user):
    shot = ShotFactory(shooting_look=LookFactory(shooting=ShootingFactory(owner=user)))
    return user, shot


@race_db
def test_a_shot_generated_revised_or_changed_while_deleted():
    from sartiq.catalog.models import SubjectBaseImage
    from sartiq.media.tests.factories import MediaResourceFactory

    def make():
        user = UserFactory()
        user, shot = _shot(user)
        media = MediaResourceFactory(owner=user)
        SubjectBaseImage.objects.create(subject=shot.shooting_look.subject, shot_type=shot.shot_type,
                                        image_url=media.url, image_media=media)
        add_revision(shot, "PROPOSAL")
        return user, shot

    delete = lambda o: client_for(o[0]).delete(f"/api/v1/shots/{o[1].pk}")  # noqa: E731
    rounds(make, lambda o: client_for(o[0]).post(f"/api/v1/shots/{o[1].pk}/generate",
                                                 {"generations_count": 1}, format="json"), delete)
    rounds(make, lambda o: client_for(o[0]).patch(f"/api/v1/shots/{o[1].pk}", {"rework_available": 5},
                                                  format="json"), delete)
    rounds(make, lambda o: client_for(o[0]).post(f"/api/v1/shots/{o[1].pk}/approve"), delete)


@pytest.mark.django_db
def test_the_net_under_the_locks_answers_races_as_4xx():
    """What a race no service closed at its cause would raise reaches the client as 404/409, not 500:
    a row gone meanwhile, a foreign key whose row was deleted meanwhile (checked at commit)."""
    import uuid

    from django.db import IntegrityError, connection, transaction

    from sartiq.api.errors import exception_handler
    from sartiq.catalog.models import Product
    from shootings.models import ShootingLook

    response = exception_handler(Product.DoesNotExist("Product matching query does not exist."), {})
    assert (response.status_code, response.data) == (404, {"detail": "Product not found"})
    with pytest.raises(IntegrityError) as caught:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            ShootingLook.objects.create(shooting_id=uuid.uuid4())
    response = exception_handler(caught.value, {})
    assert (response.status_code, response.data) == (
        409, {"detail": "The request conflicted with a concurrent change; try again"})
    assert exception_handler(IntegrityError("null value in column"), {}) is None  # a bug stays a 500
