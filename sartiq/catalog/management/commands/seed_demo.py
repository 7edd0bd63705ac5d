"""Create the demo superuser, organization and catalog (idempotent) and print the login."""
from __future__ import annotations

import os
import secrets

from django.core.management.base import BaseCommand
from django.db import transaction

from sartiq import embedded
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization, User
from sartiq.catalog import choices, demo, models

DEMO_EMAIL = embedded.DEMO_EMAIL

SHOT_TYPES = [
    ("Front", choices.ViewAngle.FRONT, choices.ShotTypeFraming.FULL_BODY, True),
    ("Back", choices.ViewAngle.BACK, choices.ShotTypeFraming.FULL_BODY, False),
    ("Side", choices.ViewAngle.SIDE, choices.ShotTypeFraming.FULL_BODY, False),
    ("Detail", choices.ViewAngle.FRONT, choices.ShotTypeFraming.DETAIL, False),
]
SUBJECTS = [("Ava", choices.Gender.FEMALE, (176, 120, 98)), ("Leo", choices.Gender.MALE, (120, 90, 70))]
PRODUCTS = [
    ("Organic Cotton Tee", "TEE-001", choices.ProductGender.UNISEX, choices.ProductPlacement.TOP, (40, 90, 160)),
    ("Slim Fit Jeans", "JNS-002", choices.ProductGender.MALE, choices.ProductPlacement.BOTTOM, (50, 70, 120)),
    ("Linen Summer Dress", "DRS-003", choices.ProductGender.FEMALE, choices.ProductPlacement.FULL_BODY, (200, 120, 140)),
    ("Wool Blend Coat", "COA-004", choices.ProductGender.FEMALE, choices.ProductPlacement.OUTERWEAR, (110, 100, 90)),
    ("Canvas Sneakers", "SNK-005", choices.ProductGender.UNISEX, choices.ProductPlacement.FOOTWEAR, (230, 230, 220)),
    ("Chino Shorts", "SHO-006", choices.ProductGender.MALE, choices.ProductPlacement.BOTTOM, (190, 170, 120)),
]


def demo_password() -> str:
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    path = embedded.DATA_DIR / "demo_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create the demo superuser and a small demo catalog (safe to run repeatedly)."

    def handle(self, *args, **options):
        password = demo_password()
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            with transaction.atomic():
                user = User.objects.create_superuser(email=DEMO_EMAIL, password=password, full_name="Demo Admin")
                self.seed(user)
        elif not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        self.stdout.write(self.style.SUCCESS(f"Demo login: {DEMO_EMAIL} / {password}"))

    def seed(self, user: User) -> None:
        org = Organization.objects.create(name="Demo Brand")
        Membership.objects.create(user=user, organization=org, role=MembershipRole.OWNER)
        shot_types = [
            models.ShotType.objects.create(name=name, view_angle=angle, framing=framing, core_focus=core, public=True,
                                           file_naming_convention=f"{{sku}}_{name.lower()}")
            for name, angle, framing, core in SHOT_TYPES
        ]
        subjects = []
        for name, gender, colour in SUBJECTS:
            subject = models.Subject.objects.create(
                owner=user, organization=org, name=name, slug=name.lower(), gender=gender, ready=True,
                lora_trigger=f"sartiq_{name.lower()}", positive_prompt="natural light, relaxed posture",
                negative_prompt="blurry, distorted hands",
            )
            for shot_type in shot_types:
                media = demo.store(user, org.pk, demo.figure_image(name, colour, shot_type.view_angle),
                                   f"{name} {shot_type.name}")
                models.SubjectBaseImage.objects.create(subject=subject, shot_type=shot_type, image_url="",
                                                       image_media=media)  # shown as the media's URL
            models.SubjectMeasurements.objects.create(subject=subject, height_cm=178 if gender == "MALE" else 172)
            subjects.append(subject)
        for name, sku, gender, placement, colour in PRODUCTS:
            media = demo.store(user, org.pk, demo.garment_image(name, colour), name)
            models.Product.objects.create(
                owner=user, organization=org, name=name, sku=sku, gender=gender, placement=placement,
                brand="Demo Brand", brand_collection="Core", season="FW26", year=2026, style_code=sku.split("-")[0],
                colour="#%02x%02x%02x" % colour, cover_image_media=media,
            )
        pose = models.PosePreset.objects.create(owner=user, organization=org, name="Standing relaxed",
                                                shot_type=shot_types[0], prompt="standing, weight on one leg")
        style = models.Style.objects.create(owner=user, organization=org, name="Studio clean",
                                            prompt="soft studio light, e-commerce")
        resolution = models.ResolutionPreset.objects.create(owner=user, organization=org, name="Portrait 4:5",
                                                            width=1600, height=2000)
        background = models.BackgroundPreset.objects.create(owner=user, organization=org, name="White seamless",
                                                            color="#f5f5f5")
        set_design = models.SetDesign.objects.create(owner=user, organization=org, name="Studio white",
                                                     background_preset=background)
        guidelines = models.ShootingGuidelines.objects.create(
            owner=user, organization=org, name="Default e-commerce", set_design=set_design, style=style,
            resolution_preset=resolution, background_preset=background,
        )
        guidelines.shot_types.set(shot_types[:2] + shot_types[3:])
        guidelines.subjects.set(subjects)
        guidelines.pose_presets.set([pose])
