import datetime

import factory
from django.utils import timezone

from integrations.choices import PushStatus
from integrations.models import ExternalImagePush, ExternalIntegration
from outfits.models import Outfit, OutfitProduct
from sartiq.accounts.tests.factories import UserFactory
from sartiq.catalog.tests.factories import ProductFactory, ShotTypeFactory, SubjectFactory
from shootings.models import Shooting, ShootingLook
from shots.choices import RevisionSource, ShotStatus
from shots.models import Shot, ShotRevision, ShotRevisionImage


class ShootingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shooting

    owner = factory.SubFactory(UserFactory)
    organization = None
    name = factory.Sequence(lambda n: f"Shooting {n}")
    due_date = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    season = "FW26"


class LookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShootingLook

    shooting = factory.SubFactory(ShootingFactory)
    subject = factory.SubFactory(SubjectFactory, owner=factory.SelfAttribute("..shooting.owner"),
                                 organization=factory.SelfAttribute("..shooting.organization"))
    product = factory.SubFactory(ProductFactory, owner=factory.SelfAttribute("..shooting.owner"),
                                 organization=factory.SelfAttribute("..shooting.organization"))


class ShotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shot

    shooting_look = factory.SubFactory(LookFactory)
    shot_type = factory.SubFactory(ShotTypeFactory, owner=factory.SelfAttribute("..shooting_look.shooting.owner"),
                                   organization=factory.SelfAttribute("..shooting_look.shooting.organization"))


class RevisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShotRevision

    shot = factory.SubFactory(ShotFactory)
    version = factory.Sequence(lambda n: n + 1)
    shot_status = ShotStatus.PROPOSAL


class RevisionImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShotRevisionImage

    shot_revision = factory.SubFactory(RevisionFactory)
    source_type = RevisionSource.UPLOAD
    image_url = factory.Sequence(lambda n: f"https://cdn.example.com/revisions/{n}.png")


def add_revision(shot, status=ShotStatus.PROPOSAL, *, images=1, current=True, **kwargs) -> ShotRevision:
    """A new revision at the end of the shot's chain (becoming current unless told otherwise)."""
    previous = shot.revisions.order_by("-version").first()
    revision = ShotRevision.objects.create(
        shot=shot, version=(previous.version + 1) if previous else 1, shot_status=status,
        previous_revision=previous, **kwargs,
    )
    for _ in range(images):
        RevisionImageFactory(shot_revision=revision)
    if current:
        Shot.objects.filter(pk=shot.pk).update(current_revision=revision)
        shot.current_revision = revision
    return revision


QUALITY = [
    {"quality": {"status": "FAILED", "checks": [
        {"name": "garment_colour", "score": 17.0, "threshold": 8.0, "passed": False, "detail": "#c81e28 (98%): ΔE 17"},
        {"name": "duplicate", "score": None, "threshold": 8.0, "passed": True, "detail": "skipped: no earlier revision"},
    ]}, "quality_status": "FAILED"},
    {"quality": {"status": "PENDING", "checks": []}, "quality_status": "PENDING"},
    {},
]


def look_with_shots(shooting, statuses=(ShotStatus.PROPOSAL,), **look_kwargs) -> ShootingLook:
    """A look with one shot per status given (None: a shot without revision, i.e. PENDING)."""
    look = LookFactory(shooting=shooting, **look_kwargs)
    for status in statuses:
        shot = ShotFactory(shooting_look=look)
        if status is not None:
            add_revision(shot, status)
    return look


def fully_loaded_look(shooting, *, revisions=3, shots=2) -> ShootingLook:
    """A look with everything ShootingLookPublic shows: shots with revision chains, images with
    media, push records, pose presets, a set design, an outfit and proposals with products."""
    from sartiq.catalog.tests.factories import PosePresetFactory, SetDesignFactory, fully_loaded
    from sartiq.media.tests.factories import MediaResourceFactory

    owner, org = shooting.owner, shooting.organization
    look = LookFactory(shooting=shooting, set_design=fully_loaded(SetDesignFactory, owner=owner, organization=org),
                       assignee=owner)
    look.pose_presets.set([PosePresetFactory(owner=owner, organization=org)])
    integration = ExternalIntegration.objects.create(owner=owner, organization=org, name="OVS")
    for _ in range(shots):
        shot = ShotFactory(shooting_look=look)
        for index in range(revisions):
            # Quality checks as they are stored: pending, checked (a skipped check's null score), or
            # never run (a revision without stored images: {}).
            revision = add_revision(shot, ShotStatus.APPROVED, **QUALITY[index % len(QUALITY)])
            image = revision.images.first()
            image.image_media = MediaResourceFactory(owner=owner, organization=org)
            image.save()
            ExternalImagePush.objects.create(revision=revision, integration=integration,
                                             push_status=PushStatus.COMPLETED)
    outfits = [Outfit.objects.create(shooting_look=look, outfit_instruction=f"Outfit {i}") for i in range(2)]
    for outfit in outfits:
        OutfitProduct.objects.create(outfit=outfit, product=fully_loaded(ProductFactory, owner=owner, organization=org))
        outfit.outfit_ref_images_media.set([MediaResourceFactory(owner=owner, organization=org)])
    look.outfit = outfits[0]
    look.save()
    return look
