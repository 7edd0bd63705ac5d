import factory

from sartiq.accounts.tests.factories import UserFactory
from sartiq.catalog import choices, models
from sartiq.media.tests.factories import MediaResourceFactory


class TenantFactory(factory.django.DjangoModelFactory):
    owner = factory.SubFactory(UserFactory)
    organization = None


class ShotTypeFactory(TenantFactory):
    class Meta:
        model = models.ShotType

    name = factory.Sequence(lambda n: f"Shot type {n}")
    view_angle = choices.ViewAngle.FRONT
    framing = choices.ShotTypeFraming.FULL_BODY


class PosePresetFactory(TenantFactory):
    class Meta:
        model = models.PosePreset

    name = factory.Sequence(lambda n: f"Pose {n}")
    shot_type = factory.SubFactory(ShotTypeFactory, owner=factory.SelfAttribute("..owner"),
                                   organization=factory.SelfAttribute("..organization"))


class StyleFactory(TenantFactory):
    class Meta:
        model = models.Style

    name = factory.Sequence(lambda n: f"Style {n}")


class ResolutionPresetFactory(TenantFactory):
    class Meta:
        model = models.ResolutionPreset

    name = factory.Sequence(lambda n: f"Resolution {n}")
    width = 1600
    height = 2000


class BackgroundPresetFactory(TenantFactory):
    class Meta:
        model = models.BackgroundPreset

    name = factory.Sequence(lambda n: f"Background {n}")


class ProductFactory(TenantFactory):
    class Meta:
        model = models.Product

    name = factory.Sequence(lambda n: f"Product {n}")
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    brand = "Acme"
    gender = choices.ProductGender.UNISEX


class SubjectFactory(TenantFactory):
    class Meta:
        model = models.Subject

    name = factory.Sequence(lambda n: f"Subject {n}")
    slug = factory.Sequence(lambda n: f"subject-{n}")
    gender = choices.Gender.FEMALE


class SubjectBaseImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.SubjectBaseImage

    subject = factory.SubFactory(SubjectFactory)
    shot_type = factory.SubFactory(ShotTypeFactory)
    image_url = factory.Sequence(lambda n: f"https://cdn.example.com/base/{n}.png")


class SetDesignFactory(TenantFactory):
    class Meta:
        model = models.SetDesign

    name = factory.Sequence(lambda n: f"Set {n}")


class ShootingGuidelinesFactory(TenantFactory):
    class Meta:
        model = models.ShootingGuidelines

    name = factory.Sequence(lambda n: f"Guidelines {n}")


def fully_loaded(factory_class, **kwargs):
    """An object with every nested relation its serializer shows populated (worst case for queries)."""
    owner = kwargs.setdefault("owner", UserFactory())
    org = kwargs.get("organization")
    media = lambda: MediaResourceFactory(owner=owner, organization=org)  # noqa: E731
    if factory_class is ProductFactory:
        product = ProductFactory(cover_image_media=media(), back_image_media=media(), **kwargs)
        product.reference_images_media.set([media(), media()])
        return product
    if factory_class is SubjectFactory:
        subject = SubjectFactory(cover_image_media=media(), portrait_image_media=media(), **kwargs)
        for _ in range(2):
            SubjectBaseImageFactory(subject=subject, shot_type__owner=owner, image_media=media())
        models.SubjectMeasurements.objects.create(subject=subject, height_cm=175)
        subject.data_images_media.set([media()])
        subject.portfolio_images_media.set([media()])
        return subject
    if factory_class is SetDesignFactory:
        design = SetDesignFactory(**kwargs)
        shot_type = ShotTypeFactory(owner=owner)
        subject = SubjectFactory(owner=owner)
        models.SetBaseImage.objects.create(set_design=design, shot_type=shot_type, subject=subject, image_media=media())
        models.SetReferenceImage.objects.create(set_design=design, shot_type=shot_type, label="ref", image_media=media())
        models.SubjectPortrait.objects.create(set_design=design, subject=subject, image_media=media())
        return design
    if factory_class is ShootingGuidelinesFactory:
        guidelines = ShootingGuidelinesFactory(set_design=fully_loaded(SetDesignFactory, owner=owner), **kwargs)
        guidelines.shot_types.set([ShotTypeFactory(owner=owner, reference_image=media())])
        guidelines.subjects.set([fully_loaded(SubjectFactory, owner=owner)])
        guidelines.pose_presets.set([PosePresetFactory(owner=owner, pose_image_media=media())])
        return guidelines
    if factory_class is ShotTypeFactory:
        return ShotTypeFactory(reference_image=media(), **kwargs)
    if factory_class is PosePresetFactory:
        return PosePresetFactory(pose_image_media=media(), **kwargs)
    return factory_class(**kwargs)
