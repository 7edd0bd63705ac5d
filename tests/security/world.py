"""The world the tenancy walk runs in: two organizations, an outsider, a superuser, a full tree of
resources for each tenant and public resources used by both.

Every string a tenant owns carries its marker (`xtena`, `xtenb`, `xteno`, `xtenm`), so a response
can be searched for another tenant's names, SKUs, e-mails and codes as well as its ids.

Tenants: `A` (organization A: owner, admin, member), `B` (organization B: its owner), `O` (the
outsider's personal resources), `M` (an organization A's member owns alone: the member of two
organizations), `PUB` (the superuser's public products, shot type and subject). A, B, O and M each
have the full tree below; each tenant's look of the public product is approved, mapped to its own
integration (A's mapping first) and pushed. The mappings of the public product are written
directly, as data from before finding 3's fix would be (the API is to refuse them).
"""
from __future__ import annotations

import datetime
import io
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from integrations.choices import PushStatus
from integrations.models import ExternalImagePush, ExternalIntegration, ExternalProductMapping
from integrations.secrets import seal
from outfits.choices import OutfitGenerationStatus, OutfitSource
from outfits.models import Outfit, OutfitProduct
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization, User
from sartiq.accounts.tests.factories import PASSWORD, UserFactory
from sartiq.catalog import models as catalog
from sartiq.catalog.tests import factories as cf
from sartiq.events.choices import DeliveryStatus
from sartiq.events.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from sartiq.events.services import of_shooting, record_each
from sartiq.media.models import MediaResource
from sartiq.media.tests.factories import MediaResourceFactory
from sartiq.secrets import new_webhook_secret
from shootings.tests.factories import LookFactory, ShootingFactory, ShotFactory
from shots.choices import GenerationStatus, RevisionSource, ShotStatus
from shots.models import Generation, Prediction, Shot, ShotRevision, ShotRevisionImage

MARKERS = {"A": "xtena", "B": "xtenb", "O": "xteno", "M": "xtenm"}
# A's revision image is a colour nobody else uses: a generated image that contains it read A's file.
A_SECRET_COLOUR = (3, 251, 7)


def png(size=(8, 8), colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass
class Tree:
    """One tenant's resources by kind (`shot`, `revision`, `media_rev`, ...)."""

    key: str
    owner: User
    org: Organization | None
    objs: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, kind: str):
        return self.objs[kind]

    def id(self, kind: str) -> str:
        return str(self.objs[kind].pk)

    def url(self, kind: str) -> str:
        return self.objs[kind].url

    @property
    def org_id(self) -> str | None:
        return str(self.org.pk) if self.org else None

    @property
    def mark(self) -> str:
        return MARKERS[self.key]


@dataclass
class World:
    users: dict[str, User]
    orgs: dict[str, Organization]
    trees: dict[str, Tree]
    public: dict[str, Any]

    # Which tenants each role belongs to (their own data is never "foreign" to them).
    OWN = {
        "anonymous": set(), "owner": {"A"}, "admin": {"A"}, "member": {"A", "M"}, "outsider": {"O"},
        "b_owner": {"B"}, "superuser": {"A", "B", "O", "M", "PUB"}, "m_member": {"A", "M"},
    }
    # The tree a role acts with as an attacker (their own objects in their own requests).
    # `m_member` is A's member acting in the other organization they own (M): A's objects are
    # visible to them, so only the "shared with the new resource's audience" rule stands between.
    HOME = {"owner": "A", "admin": "A", "member": "A", "b_owner": "B", "outsider": "O", "m_member": "M"}

    def user(self, role: str) -> User:
        return self.users["member" if role == "m_member" else role]

    def foreign(self, role: str) -> set[str]:
        return {"A", "B", "O", "M"} - self.OWN[role]


def _media(tree: Tree, name: str, size=(8, 8), colour=(120, 120, 120)) -> MediaResource:
    return MediaResourceFactory(
        owner=tree.owner, organization=tree.org, alt_text=f"{tree.mark} {name}",
        file=ContentFile(png(size, colour), name=f"{tree.mark}-{name}.png"), width=size[0], height=size[1],
    )


def _revision(shot, version, status, media, sketch=None, previous=None) -> ShotRevision:
    revision = ShotRevision.objects.create(shot=shot, version=version, shot_status=status, previous_revision=previous,
                                           notes=f"{shot.shooting_look.shooting.name} v{version}")
    ShotRevisionImage.objects.create(
        shot_revision=revision, source_type=RevisionSource.UPLOAD, image_url=media.url, image_media=media,
        sketch_image_url=sketch.url if sketch else None, sketch_image_media=sketch,
    )
    Shot.objects.filter(pk=shot.pk).update(current_revision=revision)
    return revision


def build_tree(key: str, owner: User, org: Organization | None, public: dict) -> Tree:
    t = Tree(key, owner, org)
    m, o = t.mark, {"owner": owner, "organization": org}
    objs = t.objs
    for name in ("cover", "back", "ref", "subject_cover", "portrait", "base", "pose", "st_ref", "set_base",
                 "set_ref", "set_portrait", "sketch", "rev2", "outfit_ref", "pred", "rev_pub", "free"):
        objs[f"media_{name}"] = _media(t, name)
    colour = A_SECRET_COLOUR if key == "A" else (90, 60, 200)
    objs["media_rev"] = _media(t, "rev", size=(64, 80), colour=colour)

    objs["shot_type"] = cf.ShotTypeFactory(**o, name=f"{m} front", view_angle="FRONT",
                                           reference_image=objs["media_st_ref"], file_naming_convention="01")
    objs["shot_type_back"] = cf.ShotTypeFactory(**o, name=f"{m} back", view_angle="BACK")
    objs["shot_type_free"] = cf.ShotTypeFactory(**o, name=f"{m} side", view_angle="SIDE")
    objs["pose_preset"] = cf.PosePresetFactory(**o, name=f"{m} pose", shot_type=objs["shot_type"],
                                               pose_image_media=objs["media_pose"], prompt=f"{m} pose prompt")
    objs["style"] = cf.StyleFactory(**o, name=f"{m} style", prompt=f"{m} style prompt")
    objs["resolution_preset"] = cf.ResolutionPresetFactory(**o, name=f"{m} 4:5")
    objs["background_preset"] = cf.BackgroundPresetFactory(**o, name=f"{m} white", color="#f0f0f0")

    subject = cf.SubjectFactory(**o, name=f"{m} Ava", slug=f"{m}-ava", gender="FEMALE",
                                cover_image_media=objs["media_subject_cover"],
                                portrait_image_media=objs["media_portrait"], positive_prompt=f"{m} prompt")
    catalog.SubjectBaseImage.objects.create(subject=subject, shot_type=objs["shot_type"],
                                            image_url=objs["media_base"].url, image_media=objs["media_base"])
    catalog.SubjectMeasurements.objects.create(subject=subject, height_cm=175)
    objs["subject"] = subject

    product = cf.ProductFactory(**o, name=f"{m} tee", sku=f"{m}-SKU-1", style_code=f"{m}STYLE", colour="BLU",
                                brand=f"{m}brand", cover_image_media=objs["media_cover"],
                                back_image_media=objs["media_back"])
    product.reference_images_media.set([objs["media_ref"]])
    objs["product"] = product
    objs["product2"] = cf.ProductFactory(**o, name=f"{m} jeans", sku=f"{m}-SKU-2", brand=f"{m}brand")

    design = cf.SetDesignFactory(**o, name=f"{m} studio", background_preset=objs["background_preset"])
    catalog.SetBaseImage.objects.create(set_design=design, shot_type=objs["shot_type"], subject=subject,
                                        image_url=objs["media_set_base"].url, image_media=objs["media_set_base"])
    catalog.SetReferenceImage.objects.create(set_design=design, shot_type=objs["shot_type"], label=f"{m} ref",
                                             image_url=objs["media_set_ref"].url, image_media=objs["media_set_ref"])
    catalog.SubjectPortrait.objects.create(set_design=design, subject=subject,
                                           image_url=objs["media_set_portrait"].url,
                                           image_media=objs["media_set_portrait"])
    objs["set_design"] = design

    guidelines = cf.ShootingGuidelinesFactory(
        **o, name=f"{m} guidelines", set_design=design, style=objs["style"],
        resolution_preset=objs["resolution_preset"], background_preset=objs["background_preset"])
    guidelines.shot_types.set([objs["shot_type"]])
    guidelines.subjects.set([subject])
    guidelines.pose_presets.set([objs["pose_preset"]])
    objs["guidelines"] = guidelines

    shooting = ShootingFactory(**o, name=f"{m} shooting", brand=f"{m}brand", default_guidelines=guidelines,
                               due_date=timezone.now() + datetime.timedelta(days=30))
    objs["shooting"] = shooting
    look = LookFactory(shooting=shooting, subject=subject, product=product, style=objs["style"],
                       resolution_preset=objs["resolution_preset"], background_preset=objs["background_preset"],
                       set_design=design, assignee=owner, instructions=f"{m} instructions")
    look.pose_presets.set([objs["pose_preset"]])
    objs["look"] = look

    shot = ShotFactory(shooting_look=look, shot_type=objs["shot_type"])
    objs["shot"] = shot
    objs["revision"] = _revision(shot, 1, ShotStatus.APPROVED, objs["media_rev"], sketch=objs["media_sketch"])
    objs["revision_leaf"] = _revision(shot, 2, ShotStatus.PROPOSAL, objs["media_rev2"], previous=objs["revision"])
    objs["shot_back"] = ShotFactory(shooting_look=look, shot_type=objs["shot_type_back"])

    done = Generation.objects.create(shot=shot, status=GenerationStatus.COMPLETED, requested_by=owner,
                                     progress=100, prompt=f"{m} prompt")
    objs["prediction"] = Prediction.objects.create(generation=done, index=0, media=objs["media_pred"], seed=1)
    objs["generation_done"] = done
    objs["generation"] = Generation.objects.create(shot=shot, status=GenerationStatus.PENDING, requested_by=owner)

    outfit = Outfit.objects.create(shooting_look=look, outfit_instruction=f"{m} outfit",
                                   outfit_ref_imgs_urls=[objs["media_outfit_ref"].url], source=OutfitSource.MANUAL)
    OutfitProduct.objects.create(outfit=outfit, product=objs["product2"], position=0)
    outfit.outfit_ref_images_media.set([objs["media_outfit_ref"]])
    look.outfit = outfit
    look.save(update_fields=["outfit"])
    objs["outfit_selected"] = outfit
    objs["outfit"] = Outfit.objects.create(shooting_look=look, outfit_instruction=f"{m} proposal",
                                           source=OutfitSource.STYLIST,
                                           generation_status=OutfitGenerationStatus.COMPLETED)

    integration = ExternalIntegration.objects.create(
        **o, name=f"{m} OVS", integration_type="OVS", endpoint_url=f"https://{m}-retailer.example/api",
        credentials=seal(f"{m}-retailer-token"), callback_secret=seal(f"{m}-callback-secret"))
    objs["integration"] = integration
    objs["mapping"] = ExternalProductMapping.objects.create(
        product=product, integration=integration, external_id=f"{m}-EXT-1", style_code=f"{m}STYLE",
        colour_code=f"{m}COL")
    objs["push"] = ExternalImagePush.objects.create(revision=objs["revision"], integration=integration,
                                                    push_status=PushStatus.FAILED, error_message=f"{m} failed")

    # The public product in a look of this tenant, approved and exported to this tenant's retailer.
    look_pub = LookFactory(shooting=shooting, subject=subject, product=public["product"])
    shot_pub = ShotFactory(shooting_look=look_pub, shot_type=public["shot_type"])
    objs["look_pub"], objs["shot_pub"] = look_pub, shot_pub
    objs["revision_pub"] = _revision(shot_pub, 1, ShotStatus.APPROVED, objs["media_rev_pub"])
    objs["mapping_pub"] = ExternalProductMapping.objects.create(
        product=public["product"], integration=integration, external_id=f"{m}-EXT-PUB", style_code=f"{m}PUB",
        colour_code=f"{m}PUBCOL")
    objs["push_pub"] = ExternalImagePush.objects.create(revision=objs["revision_pub"], integration=integration,
                                                        push_status=PushStatus.COMPLETED)

    # A webhook endpoint with a failed delivery (a test message) and its attempt.
    objs["webhook_endpoint"] = WebhookEndpoint.objects.create(
        **o, url=f"https://{m}-hooks.example/receive", events=["*"], description=f"{m} hooks",
        secret=seal(new_webhook_secret()))
    objs["webhook_delivery"] = WebhookDelivery.objects.create(
        endpoint=objs["webhook_endpoint"], message_id=uuid.uuid4(), event_type="webhook.test",
        payload={"type": "webhook.test", "data": {"note": f"{m} test"}}, status=DeliveryStatus.FAILED, attempts=1,
        last_status_code=500, last_error=f"{m} receiver failed")
    WebhookAttempt.objects.create(delivery=objs["webhook_delivery"], started_at=timezone.now(), status_code=500,
                                  response_excerpt=f"{m} receiver failed", error="The endpoint answered 500")
    for obj in objs.values():
        if hasattr(obj, "refresh_from_db"):
            obj.refresh_from_db()
    _record_history(t)
    return t


def _record_history(t: Tree) -> None:
    """The events the services would have recorded for the tree (built with factories, it has none),
    each naming the tenant's marker, so a response showing another tenant's history is caught.

    The world is built in a transaction the walk never commits, and the feed shows only events of
    transactions older than every running one (sartiq/events/selectors.py): they are dated back to
    a transaction long committed, as the history they stand for would be."""
    shooting, shot = t["shooting"], t["shot"]
    look = of_shooting(shooting, look_id=t["look"].pk)
    on_shot = of_shooting(shooting, look_id=t["look"].pk, shot_id=shot.pk)
    entries = [
        ("shooting.created", of_shooting(shooting), {"name": shooting.name}),
        ("look.created", look, {"product_id": t.id("product"), "subject_id": t.id("subject"), "shots": 2}),
        ("look.outfit_proposed", look, {"outfit_id": t.id("outfit"), "source": "STYLIST", "products": 0}),
        ("generation.completed", replace(on_shot, generation_id=t["generation_done"].pk,
                                         revision_id=t["revision_leaf"].pk),
         {"revision_id": t.id("revision_leaf"), "outputs": 1}),
        ("revision.created", replace(on_shot, revision_id=t["revision_leaf"].pk),
         {"version": 2, "status": "PROPOSAL", "images": 1}),
        ("shot.rejected", replace(on_shot, revision_id=t["revision"].pk),
         {"from": "PROPOSAL", "to": "REJECTED", "note": f"{t.mark} too dark", "rework_used": 1, "rework_left": 2}),
        ("push.failed", replace(on_shot, revision_id=t["revision"].pk, push_id=t["push"].pk),
         {"integration_id": t.id("integration"), "error": f"{t.mark} failed"}),
    ]
    events = record_each(entries)
    Event.objects.filter(pk__in=[event.pk for event in events]).update(transaction_id=3)  # PostgreSQL's first


def build_world() -> World:
    def user(email, **kwargs):
        return UserFactory(email=email, full_name=email.split("@")[0], **kwargs)

    users = {
        "owner": user("owner.xtena@example.com"),
        "admin": user("admin.xtena@example.com"),
        "member": user("member.xtena@example.com"),
        "b_owner": user("owner.xtenb@example.com"),
        "outsider": user("outsider.xteno@example.com"),
        "superuser": user("root@example.com", is_superuser=True, is_staff=True),
        "spare": user("spare@example.com"),
    }
    orgs = {
        "A": Organization.objects.create(name="Brand xtena"),
        "B": Organization.objects.create(name="Brand xtenb"),
        "M": Organization.objects.create(name="Side xtenm"),
    }
    for role, org, level in (("owner", "A", MembershipRole.OWNER), ("admin", "A", MembershipRole.ADMIN),
                             ("member", "A", MembershipRole.MEMBER), ("b_owner", "B", MembershipRole.OWNER),
                             ("member", "M", MembershipRole.OWNER)):
        Membership.objects.create(user=users[role], organization=orgs[org], role=level)

    root = users["superuser"]
    public_cover = MediaResourceFactory(owner=root, file=ContentFile(png(), name="public-cover.png"))
    public = {
        "product": cf.ProductFactory(owner=root, name="Public tee", sku="PUB-SKU", public=True,
                                     cover_image_media=public_cover, brand="Public"),
        "shot_type": cf.ShotTypeFactory(owner=root, name="Public front", view_angle="FRONT", public=True),
        # mapped by nobody: what a tenant would map to its own integration
        "product_unmapped": cf.ProductFactory(owner=root, name="Public cap", sku="PUB-SKU-2", public=True),
        "subject": cf.SubjectFactory(owner=root, name="Public Zoe", slug="public-zoe", public=True, gender="FEMALE"),
    }
    trees = {
        "A": build_tree("A", users["owner"], orgs["A"], public),
        "B": build_tree("B", users["b_owner"], orgs["B"], public),
        "O": build_tree("O", users["outsider"], None, public),
        "M": build_tree("M", users["member"], orgs["M"], public),
    }
    return World(users=users, orgs=orgs, trees=trees, public=public)


__all__ = ["MARKERS", "PASSWORD", "Tree", "World", "build_world", "png", "A_SECRET_COLOUR"]
