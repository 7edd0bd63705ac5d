"""The shooting detail and the look pages, built from rows (shootings/api/documents.py), are the
bytes the serializers render from model instances, for every shape of data they show."""
import datetime
import gc

import pytest
from django.db.models import F
from django.utils import timezone

from conftest import client_for
from integrations.choices import PushStatus
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from integrations.selectors import looks, shooting_details
from outfits.models import Outfit, OutfitProduct
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.api.renderers import JSONRenderer
from sartiq.catalog import models as catalog
from sartiq.catalog.tests.factories import (
    BackgroundPresetFactory,
    PosePresetFactory,
    ProductFactory,
    ResolutionPresetFactory,
    SetDesignFactory,
    ShootingGuidelinesFactory,
    ShotTypeFactory,
    StyleFactory,
    SubjectFactory,
    fully_loaded,
)
from sartiq.media import storage
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import MediaResourceFactory
from shootings import selectors
from shootings.api import documents
from shootings.api.serializers import ShootingDetailPublicSerializer, ShootingLookPublicSerializer
from shootings.models import ShootingLook
from shootings.tests.factories import (
    LookFactory,
    ShootingFactory,
    ShotFactory,
    add_revision,
    fully_loaded_look,
    look_with_shots,
)
from shootings.tests.test_query_counts import AUTH, COUNT, GUIDELINES, LOOK_DOCUMENTS
from shots.choices import RevisionSource, ShotRevisionStatus, ShotStatus
from shots.models import Shot, ShotRevision, ShotRevisionImage

pytestmark = pytest.mark.django_db

render = JSONRenderer().render


@pytest.fixture(autouse=True)
def fixed_media_urls(monkeypatch):
    """Signed media URLs expire at the end of a time bucket: both renderings sign with one expiry."""
    monkeypatch.setattr(storage, "url_expiry", lambda now=None: 4102444800)


def storage_url(media: MediaResource) -> str:
    """A URL of the project's storage naming `media` (as a client may have stored one)."""
    return media.url


def media(owner, org, **kwargs) -> MediaResource:
    return MediaResourceFactory(owner=owner, organization=org, **kwargs)


@pytest.fixture
def world(user, org):
    """A shooting of `org` with every optional field of its looks set somewhere and unset elsewhere."""
    other = UserFactory(full_name=None)  # another tenant
    MembershipFactory(organization=org, user=other, role=MembershipRole.MEMBER)
    stranger = UserFactory()
    guidelines = fully_loaded(ShootingGuidelinesFactory, owner=user, organization=org)
    shooting = ShootingFactory(owner=user, organization=org, default_guidelines=guidelines, description="FW",
                               collection="Main", brand="Acme", archived=False)

    # 1. Everything the factories load: media-backed images, pushes, poses, set design, outfits.
    full = fully_loaded_look(shooting, revisions=3, shots=2)

    # 2. A look with no subject, product, set design, assignee, outfit or shots.
    bare = LookFactory(shooting=shooting, subject=None, product=None, instructions="")

    # 3. Presets, sizes, a subject with a surname, a product whose cover is a storage URL.
    cover = media(user, org, width=1200, height=800, duration=1.5, alt_text="cover", caption="c",
                  color_profile="sRGB", dominant_color="#aabbcc", protected=True)
    product = ProductFactory(owner=user, organization=org, cover_image_url=storage_url(cover),
                             cover_image_media=cover, back_image_url="https://cdn.example.com/back.png",
                             back_image_media=media(user, org, width=600, height=900),
                             year=2026, in_store_date=datetime.date(2026, 3, 1), brand_metadata={"b": [1, 2.5, None]},
                             reference_images=["https://cdn.example.com/r.png", 7],
                             data_image_urls=["https://cdn.example.com/d.png"], materials="cotton", public=True)
    product.reference_images_media.set([media(user, org, width=None, height=None), media(user, org)])
    design = SetDesignFactory(owner=user, organization=org, description="white",
                              background_preset=BackgroundPresetFactory(owner=user, organization=org))
    catalog.SetBaseImage.objects.create(set_design=design, shot_type=ShotTypeFactory(owner=user),
                                        subject=SubjectFactory(owner=user), image_url="https://cdn.example.com/s.png")
    system_type = ShotTypeFactory(owner=None, public=True, margins={"top": 0.1, "sides": [1, 2]},
                                  prompt="front", default_shot_type="FRONT", core_focus=True,
                                  reference_image_url="https://cdn.example.com/ref.png",
                                  reference_image=media(user, org, width=10, height=20),
                                  shot_type_ref_image_url="https://cdn.example.com/t.png")
    rich = LookFactory(
        shooting=shooting, subject=SubjectFactory(owner=user, organization=org, surname="Rossi"), product=product,
        style=StyleFactory(owner=user, organization=org),
        resolution_preset=ResolutionPresetFactory(owner=user, organization=org), width=1600, height=2000,
        background_preset=BackgroundPresetFactory(owner=user, organization=org), set_design=design,
        file_format="PNG", instructions="Side light", status="READY", assignee=other,
    )
    rich.pose_presets.set([
        PosePresetFactory(owner=user, organization=org, name="B pose", pose_image_url="https://cdn.example.com/p.png"),
        PosePresetFactory(owner=user, organization=org, name="A pose",
                          pose_image_media=media(user, org, width=5, height=5)),
    ])
    # Shots: one of the system type with a pose, one without a shot type, one never generated.
    typed = ShotFactory(shooting_look=rich, shot_type=system_type, pose_preset=rich.pose_presets.first(),
                        rework_used=1)
    untyped = ShotFactory(shooting_look=rich, shot_type=None)
    ShotFactory(shooting_look=rich)
    integration = ExternalIntegration.objects.create(owner=user, organization=org, name="OVS")
    foreign = ExternalIntegration.objects.create(owner=stranger, name="Elsewhere")
    first = add_revision(typed, ShotStatus.REJECTED, images=0, notes="too dark", owner=other,
                         shot_revision_status=ShotRevisionStatus.ARCHIVED)
    ShotRevisionImage.objects.create(shot_revision=first, position=0, source_type=RevisionSource.PREDICTION,
                                     prediction_id="4b7c4f5e-0000-4000-8000-000000000001",
                                     refine_id="4b7c4f5e-0000-4000-8000-000000000002",
                                     image_url=None, image_media=media(user, org, width=30, height=10),
                                     sketch_image_url="https://cdn.example.com/sketch.png",
                                     sketch_image_media=media(user, org), notes="n", autogenerated=True)
    second = add_revision(typed, ShotStatus.REVIEW, images=0, owner=user)
    stored = media(user, org)
    # An outside URL with media (shown as given), a storage URL with and without its media.
    ShotRevisionImage.objects.create(shot_revision=second, position=0, source_type=RevisionSource.UPLOAD,
                                     image_url="https://cdn.example.com/given.png", image_media=stored)
    ShotRevisionImage.objects.create(shot_revision=second, position=1, source_type=RevisionSource.UPLOAD,
                                     image_url=storage_url(stored), image_media=stored)
    ShotRevisionImage.objects.create(shot_revision=second, position=2, source_type=RevisionSource.UPLOAD,
                                     image_url=storage_url(stored))
    for status, target in [(PushStatus.FAILED, integration), (PushStatus.AWAITING_CONFIRMATION, foreign)]:
        ExternalImagePush.objects.create(revision=first, integration=target, push_status=status,
                                         pushed_at=timezone.now(), completed_at=timezone.now(), error_message="x")
    ExternalImagePush.objects.create(revision=second, integration=integration, push_status=PushStatus.IN_PROGRESS)
    third = add_revision(untyped, ShotStatus.APPROVED, images=2, current=False)
    ExternalImagePush.objects.create(revision=third, integration=integration, push_status=PushStatus.PENDING)
    # The revision's picture is its first image that has one; a revision may have none.
    ShotRevisionImage.objects.filter(pk=third.images.order_by("position", "created_at", "id")[0].pk).update(
        image_url=None)
    blank = add_revision(untyped, ShotStatus.PROPOSAL, images=1)
    ShotRevisionImage.objects.filter(shot_revision=blank).update(image_url=None)

    # Outfits: THE outfit with reference URLs of every kind, a failed proposal, a pending one.
    ref = media(user, org)
    outfit = Outfit.objects.create(
        shooting_look=rich, outfit_instruction="Layered", source="STYLIST", generation_status="COMPLETED",
        outfit_ref_imgs_urls=["https://cdn.example.com/o.png", storage_url(ref), "/media/uploads/none/gone.png"],
    )
    outfit.outfit_ref_images_media.set([ref, media(user, org)])
    shot_product = look_with_shots(shooting, statuses=[ShotStatus.PROPOSAL, None]).product  # shot in a visible look
    foreign_product = ProductFactory(owner=stranger, public=True)  # public, mapped by its own tenant
    ExternalProductMapping.objects.create(product=foreign_product, integration=foreign, external_id="F1")
    ExternalProductMapping.objects.create(product=shot_product, integration=integration, external_id="S1")
    hidden = LookFactory(shooting=ShootingFactory(owner=stranger), product=foreign_product)  # invisible latest look
    ShotFactory(shooting_look=hidden)
    for position, linked in enumerate([shot_product, foreign_product, product]):
        OutfitProduct.objects.create(outfit=outfit, product=linked, position=position)
    failed = Outfit.objects.create(shooting_look=rich, generation_status="FAILED", generation_error="boom",
                                   retry_count=2, outfit_ref_imgs_urls=[])
    OutfitProduct.objects.create(outfit=failed, product=shot_product)
    Outfit.objects.create(shooting_look=rich, generation_status="PENDING")
    rich.outfit = outfit
    rich.save()

    # 4. A look whose outfit is set but not among its outfits, and a draft look with one shot.
    stray = LookFactory(shooting=shooting, assignee=user)
    ShootingLook.objects.filter(pk=stray.pk).update(outfit=outfit)
    look_with_shots(shooting, statuses=[None])

    # Timestamps of whole seconds (no microseconds) on some rows of each kind.
    whole = timezone.now().replace(microsecond=0)
    for model in (ShootingLook, Shot, ShotRevision, ShotRevisionImage, ExternalImagePush, Outfit, MediaResource,
                  catalog.Product, catalog.ShotType):
        model.objects.filter(pk__in=model.objects.order_by("created_at").values("pk")[:2]).update(
            created_at=whole, updated_at=F("updated_at"))
    ShootingLook.objects.filter(pk=bare.pk).update(updated_at=whole)
    return {"shooting": shooting, "full": full, "rich": rich, "bare": bare, "other": other, "stranger": stranger}


def serialized_detail(user, shooting) -> bytes:
    return render(ShootingDetailPublicSerializer(shooting_details(user).get(pk=shooting.pk), context={}).data)


def built_detail(user, shooting) -> bytes:
    return render(documents.shooting_detail(user, selectors.shootings().get(pk=shooting.pk)))


def serialized_looks(user, queryset) -> bytes:
    return render(ShootingLookPublicSerializer(list(queryset), many=True, context={}).data)


def test_the_detail_is_the_serializers_bytes(user, world):
    serialized = serialized_detail(user, world["shooting"])
    assert built_detail(user, world["shooting"]) == serialized
    assert len(serialized) > 20_000  # the data above, not an empty shooting


@pytest.mark.parametrize("viewer", ["other", "superuser"])
def test_what_another_caller_sees_is_the_serializers_bytes_too(world, viewer, superuser):
    # A member of the organization, and a superuser (who sees every tenant's looks and exports).
    caller = superuser if viewer == "superuser" else world["other"]
    assert built_detail(caller, world["shooting"]) == serialized_detail(caller, world["shooting"])


def test_a_shooting_without_looks(user):
    shooting = ShootingFactory(owner=user, default_guidelines=None, due_date=None, season=None)
    assert built_detail(user, shooting) == serialized_detail(user, shooting)
    assert documents.shooting_detail(user, selectors.shootings().get(pk=shooting.pk))["looks"] == []


def test_the_look_pages_are_the_serializers_bytes(user, world):
    shooting, client = world["shooting"], client_for(user)
    every = looks(user).filter(shooting=shooting)
    for skip, limit in [(0, 100), (1, 2), (4, 50), (50, 1)]:
        response = client.get(f"/api/v1/shootings/{shooting.pk}/looks?skip={skip}&limit={limit}")
        assert response.status_code == 200
        page = serialized_looks(user, every[skip:skip + limit])
        assert response.content == b'{"data":' + page + b',"count":%d}' % every.count()
    filtered = client.get(f"/api/v1/shootings/{shooting.pk}/looks?shot_statuses=READY&shot_statuses=REVIEW")
    assert filtered.json()["count"] == 1
    assert filtered.content == b'{"data":' + serialized_looks(user, every.filter(status="READY")) + b',"count":1}'
    for look in (world["rich"], world["bare"], world["full"]):
        expected = render(ShootingLookPublicSerializer(looks(user).get(pk=look.pk), context={}).data)
        assert client.get(f"/api/v1/shootings/looks/{look.pk}").content == expected
        assert client.get(f"/api/v1/shootings/{shooting.pk}/looks/{look.pk}").content == expected


def test_the_detail_endpoint_answers_the_built_document(user, world):
    response = client_for(user).get(f"/api/v1/shootings/{world['shooting'].pk}")
    assert response.status_code == 200
    assert response.content == serialized_detail(user, world["shooting"])


def test_a_look_deleted_after_the_access_check_is_not_found(user):
    look = LookFactory(shooting=ShootingFactory(owner=user))
    pk = look.pk
    look.delete()
    with pytest.raises(documents.NotFound):
        documents.look_document(user, pk)


def test_loaded_shootings_of_many_looks(user, org):
    """Many looks of the factories' full shape, in an organization (ids, order and grouping at scale)."""
    shooting = ShootingFactory(owner=user, organization=org)
    for _ in range(6):
        fully_loaded_look(shooting, revisions=2, shots=3)
    assert built_detail(user, shooting) == serialized_detail(user, shooting)


def test_queries_do_not_grow_with_the_looks(user, world, query_counts):
    """Every query the builder can run (the outfit products here are shot in looks the caller sees:
    one more, for those looks' shots), as many at a few looks as at many. The shooting is an
    organization's: the access check reads the caller's membership."""
    shooting, client = world["shooting"], client_for(user)
    look = world["rich"].pk
    membership, product_shots = 1, 1
    versions = 1  # what the ETag digests (sartiq/api/conditional.py); the membership is read once
    expected = {
        "detail": AUTH + versions + 1 + membership + GUIDELINES + LOOK_DOCUMENTS + product_shots,
        "looks": AUTH + versions + 1 + membership + COUNT + 1 + LOOK_DOCUMENTS + product_shots,
        "look": AUTH + 1 + membership + LOOK_DOCUMENTS + product_shots,
    }
    urls = {"detail": f"/api/v1/shootings/{shooting.pk}", "looks": f"/api/v1/shootings/{shooting.pk}/looks",
            "look": f"/api/v1/shootings/{shooting.pk}/looks/{look}"}

    def counts():
        return {key: query_counts.measure(client, url, key=key) for key, url in urls.items()}

    few = counts()
    for _ in range(12):
        fully_loaded_look(shooting, revisions=2, shots=3)
        look_with_shots(shooting, statuses=[ShotStatus.APPROVED, None])
    many = counts()
    assert client.get(urls["looks"]).json()["count"] == 6 + 24
    query_counts.check(expected, few, many)


def test_the_garbage_collector_resumes_when_the_last_build_ends():
    assert gc.isenabled()
    first, second = documents._no_cyclic_gc(), documents._no_cyclic_gc()
    first.__enter__()
    second.__enter__()  # another thread's build, overlapping
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the other build still runs
    second.__exit__(None, None, None)
    assert gc.isenabled()
    with pytest.raises(ValueError), documents._no_cyclic_gc():
        raise ValueError
    assert gc.isenabled()


def test_an_object_deleted_between_two_reads_is_shown_absent(user, monkeypatch):
    """The reads are separate statements: media, a product and a user deleted after the tree was
    read (before what it refers to is) do not fail the request."""
    shooting = ShootingFactory(owner=user)
    look = fully_loaded_look(shooting, revisions=1, shots=1)
    image = ShotRevisionImage.objects.get(shot_revision__shot__shooting_look=look)
    product = look.outfit.outfit_product_links.get().product
    owner = UserFactory()
    owner_id = str(owner.pk)
    ShotRevision.objects.filter(shot__shooting_look=look).update(owner=owner)
    read = documents.rows

    def rows_then_delete(queryset, *paths):
        if queryset.model is catalog.Product:  # the tree is read; its references are next
            MediaResource.objects.filter(pk=image.image_media_id).delete()
            OutfitProduct.objects.filter(product=product).delete()
            catalog.Product.objects.filter(pk=product.pk).delete()
            owner.delete()
        return read(queryset, *paths)

    monkeypatch.setattr(documents, "rows", rows_then_delete)
    built = documents.looks_by_id(user, [look.pk])[0]
    [shot] = built["shots"]
    [revision] = shot["revisions"]
    assert revision["owner"] is None and revision["owner_id"] == owner_id
    assert revision["images"][0]["image_media"] is None
    assert built["outfit"]["outfit_products"] == []
