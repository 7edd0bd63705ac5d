"""The shooting detail and the look pages, built from flat rows instead of model instances.

`GET /shootings/{id}` nests every look with its shots, revisions, images, push records, outfits and
their products: ~16,500 rows for 200 looks. Loaded as model instances and rendered by the
serializers, most of its time went to Django building objects and Python parsing timestamps
(docs/performance.md). Here the same document is built from a constant number of `values_list`
queries whose columns PostgreSQL already formats as the API writes them (UUIDs as text, timestamps
as DRF's ISO 8601 in UTC), grouped into dicts by parent id and rendered by the usual orjson
renderer. Shared objects (a product in many outfits, a shot type in every shot, media, users) are
rendered once per request and reused.

The rows are the selectors' own querysets (statuses, push status and a product's computed fields
stay SQL annotations, computed as the serializers' selectors compute them) and the fields are the
serializers' fields in their order, so the bytes are the same: `shootings/tests/test_documents.py`
renders a richly populated shooting both ways and compares them. The serializers stay the
declaration drf-spectacular documents, and what the write endpoints answer.
"""
from __future__ import annotations

import gc
import threading
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import models
from django.db.models import OuterRef

from integrations import selectors as integration_selectors
from integrations.choices import PUSH_STATUS_PRIORITY
from integrations.models import ExternalImagePush
from outfits.models import Outfit, OutfitProduct
from sartiq.accounts.models import User
from sartiq.api.rows import rows
from sartiq.catalog import models as catalog
from sartiq.errors import NotFound
from sartiq.media.models import MediaResource, aspect_ratio, orientation
from sartiq.media.services import storage_key_of, storage_url_prefix
from shootings import selectors as shooting_selectors
from shootings.api.serializers import ShootingPublicSerializer
from shootings.models import ShootingLook
from shots import selectors as shot_selectors
from shots.choices import STATUS_ORDER
from shots.models import Shot, ShotRevision, ShotRevisionImage

STATUS_NAMES = [str(status) for status in STATUS_ORDER]
PUSH_STATUS_NAMES = [str(status) for status in PUSH_STATUS_PRIORITY]


def _strings(values) -> list | None:
    # A ListField(child=CharField()) as DRF writes it.
    return None if values is None else [None if item is None else str(item) for item in values]


# --- the fields of each object, in the serializers' order ------------------------------------------
MEDIA = ("id", "file", "resource_type", "content_hash", "extension", "file_size", "width", "height", "duration",
         "color_profile", "dominant_color", "alt_text", "caption", "protected", "owner_id", "organization_id",
         "created_at", "updated_at")
USER = ("id", "email", "full_name")
SHOT_TYPE = ("id", "created_at", "updated_at", "name", "prompt", "shot_type_prompt_instruction",
             "prompt_builder_section", "view_angle", "framing", "default_shot_type", "core_focus", "public",
             "file_naming_convention", "margins", "reference_image_id", "reference_image_url",
             "shot_type_ref_image_url", "owner_id", "organization_id")
POSE_PRESET = ("id", "created_at", "updated_at", "name", "prompt", "shot_type_id", "owner_id", "organization_id",
               "pose_image_url", "pose_image_media_id")
SET_DESIGN = ("id", "created_at", "updated_at", "name", "description", "background_preset_id", "owner_id",
              "organization_id")
PRODUCT_PLAIN = (
    "id", "created_at", "updated_at", "sku", "name", "brand", "master_item_code", "product_family", "product_type",
    "product_type_id", "gender", "age_class", "placement", "zone", "type", "category", "sleeve_type", "neckline",
    "closure_type", "fit_type", "length_type", "pattern", "materials", "colour", "season", "year", "style_code",
    "in_store_date", "theme", "brand_collection", "description", "back_description", "ecommerce_description",
    "brand_metadata",
)
PRODUCT = (*PRODUCT_PLAIN, "cover_image_url", "cover_image_media_id", "back_image_url", "back_image_media_id",
           "reference_images", "data_image_urls", "public", "enabled", "archived", "demo", "is_filler", "owner_id",
           "organization_id", "shot_status_rank", "shot_status_shooting_look_id", "integration_name",
           "exports_completed", "exports_total")
LOOK = ("id", "created_at", "updated_at", "shooting_id", "subject_id", "subject__name", "subject__surname",
        "product_id", "product__name", "product__sku", "product__cover_image_url", "product__cover_image_media_id",
        "style_id", "resolution_preset_id", "width", "height", "background_preset_id", "set_design_id",
        "file_format", "instructions", "status", "shot_status_rank", "assignee_id", "outfit_id")
SHOT = ("id", "shooting_look_id", "shot_type_id", "pose_preset_id", "rework_available", "rework_used", "status",
        "current_revision_id", "created_at", "updated_at")
SHOT_SUMMARY = ("id", "shooting_look_id", "shot_type_id", "status", "current_revision_id", "push_status_rank")
REVISION = ("id", "shot_id", "version", "notes", "shot_status", "shot_revision_status", "owner_id", "created_at",
            "updated_at", "previous_revision_id", "push_status_rank", "quality")
IMAGE = ("id", "shot_revision_id", "source_type", "prediction_id", "refine_id", "image_url", "sketch_image_url",
         "image_media_id", "sketch_image_media_id", "notes", "autogenerated", "created_at", "updated_at")
PUSH = ("id", "revision_id", "created_at", "updated_at", "integration_id", "push_status", "pushed_at",
        "completed_at", "error_message")
OUTFIT = ("id", "created_at", "updated_at", "shooting_look_id", "outfit_ref_imgs_urls", "outfit_instruction",
          "generation_status", "generation_error", "retry_count", "source")


_gc_pauses = {"count": 0, "was_enabled": False}
_gc_lock = threading.Lock()


@contextmanager
def _no_cyclic_gc():
    """Tens of thousands of new dicts and tuples trigger Python's cyclic garbage collector again
    and again, each full pass walking every object of the process (about 15% of the build's CPU
    time). The document is a tree (no cycles), freed by reference counting, so the collector waits
    until it is built. Counted under a lock: with threaded workers, the collector resumes when the
    last build running ends, whatever the order they end in."""
    with _gc_lock:
        if _gc_pauses["count"] == 0:
            _gc_pauses["was_enabled"] = gc.isenabled()
            gc.disable()
        _gc_pauses["count"] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses["count"] -= 1
            if _gc_pauses["count"] == 0 and _gc_pauses["was_enabled"]:
                gc.enable()


class _Media:
    """Media resources by id, rendered once (MediaResourcePublic), with their URLs signed as
    `MediaResource.url` signs them. Ids are collected while the tree is read, loaded at the end."""

    def __init__(self):
        self.storage = MediaResource._meta.get_field("file").storage
        self.prefix = storage_url_prefix()
        self.rows: dict[str, tuple] = {}
        self.wanted: set[str] = set()
        self.docs: dict[str, dict] = {}
        self.urls: dict[str, str] = {}

    def want(self, media_id: str | None) -> None:
        if media_id is not None:
            self.wanted.add(media_id)

    def load(self) -> None:
        if self.wanted:
            found = rows(MediaResource.objects.filter(pk__in=self.wanted).order_by(), *MEDIA)
            self.rows.update((row[0], row) for row in found)

    def url(self, media_id: str) -> str | None:
        url = self.urls.get(media_id)
        if url is None and media_id in self.rows:
            name = self.rows[media_id][1]
            url = self.urls[media_id] = self.storage.url(name) if name else ""
        return url

    def doc(self, media_id: str | None) -> dict | None:
        if media_id is None:
            return None
        doc = self.docs.get(media_id)
        if doc is None and media_id in self.rows:
            (id_, _, resource_type, content_hash, extension, file_size, width, height, duration, color_profile,
             dominant_color, alt_text, caption, protected, owner_id, organization_id, created_at,
             updated_at) = self.rows[media_id]
            shape = orientation(width, height)
            doc = self.docs[media_id] = {
                "id": id_, "url": self.url(media_id), "resource_type": resource_type, "content_hash": content_hash,
                "extension": extension, "file_size": file_size, "width": width, "height": height,
                "aspect_ratio": aspect_ratio(width, height), "orientation": None if shape is None else str(shape),
                "duration": duration, "color_profile": color_profile, "dominant_color": dominant_color,
                "alt_text": alt_text, "caption": caption, "protected": protected, "owner_id": owner_id,
                "organization_id": organization_id, "created_at": created_at, "updated_at": updated_at,
            }
        return doc

    def shown(self, url: str | None, media_id: str | None) -> str | None:
        """`sartiq.media.references.shown_url`: an outside URL as given, else the media's URL."""
        if url and (not url.startswith(self.prefix) or storage_key_of(url) is None):
            return url
        return self.url(media_id) if media_id is not None else None


class LookDocuments:
    """Looks as ShootingLookPublic shows them to `user`, built from rows.

    `build(looks)` takes a queryset of looks (its filter and order). Every table below the looks is
    read with that filter as a subquery through its path to the look, so the number of queries is
    the same for one look and for thousands, and no list of thousands of ids is sent. The objects
    the tree refers to (set designs, products, shot types, users, media) are read once each, by id,
    after it; then everything is rendered. The reads are separate statements: an object deleted
    between two of them is shown as absent (null, or left out of a list) rather than failing."""

    def __init__(self, user):
        self.user = user
        self.media = _Media()

    def build(self, looks: models.QuerySet) -> list[dict]:
        look_rows = rows(shooting_selectors.with_look_statuses(looks), *LOOK)
        if not look_rows:
            return []
        look_ids = looks.order_by().values("pk")

        def under(queryset, path, columns):
            return rows(queryset.filter(**{f"{path}__in": look_ids}), *columns)

        # The tree below the looks, in the selectors' order (a parent's children keep it when grouped).
        shot_rows = under(Shot.objects.annotate(status=shot_selectors.shot_status_expression())
                          .order_by("created_at", "id"), "shooting_look", SHOT)
        revision_rows = under(
            ShotRevision.objects.annotate(push_status_rank=integration_selectors.push_rank(OuterRef("pk")))
            .order_by("version"), "shot__shooting_look", REVISION)
        image_rows = under(ShotRevisionImage.objects.all(), "shot_revision__shot__shooting_look", IMAGE)
        push_rows = under(ExternalImagePush.objects.order_by("created_at", "id"), "revision__shot__shooting_look",
                          PUSH)
        pose_rows = under(ShootingLook.pose_presets.through.objects.order_by("posepreset__name", "posepreset__id"),
                          "shootinglook", ("shootinglook_id", *[f"posepreset__{name}" for name in POSE_PRESET]))
        outfit_rows = under(Outfit.objects.order_by("created_at", "id"), "shooting_look", OUTFIT)
        link_rows = under(OutfitProduct.objects.order_by("position", "id"), "outfit__shooting_look",
                          ("outfit_id", "product_id"))
        outfit_media_rows = under(
            Outfit.outfit_ref_images_media.through.objects.order_by("-mediaresource__created_at"),
            "outfit__shooting_look", ("outfit_id", "mediaresource_id", "mediaresource__file"))

        # What the tree refers to, each read once.
        designs = self.read_set_designs({row[17] for row in look_rows} - {None})
        products = self.read_products({row[1] for row in link_rows})
        shot_type_rows = self.read(catalog.ShotType, {row[2] for row in shot_rows} | products["shot_types"],
                                   SHOT_TYPE)
        user_rows = self.read(User, {row[22] for row in look_rows} | {row[6] for row in revision_rows}, USER)
        media = self.media
        want = media.want
        for row in look_rows:
            want(row[11])
        for row in image_rows:
            want(row[7])
            want(row[8])
        for row in pose_rows:
            want(row[10])
        for row in outfit_media_rows:
            want(row[1])
        for row in shot_type_rows:
            want(row[14])
        media.load()

        # Rendered, leaves first.
        users = {id_: {"id": id_, "email": email, "full_name": full_name} for id_, email, full_name in user_rows}
        shot_types = self.render_shot_types(shot_type_rows)
        set_designs = self.render_set_designs(designs)
        product_docs = self.render_products(products, shot_types)
        shown, media_doc, media_url = media.shown, media.doc, media.url
        empty: list = []

        pushes = defaultdict(list)
        for (id_, revision_id, created_at, updated_at, integration_id, push_status, pushed_at, completed_at,
             error_message) in push_rows:
            pushes[revision_id].append({
                "id": id_, "created_at": created_at, "updated_at": updated_at, "integration_id": integration_id,
                "push_status": push_status, "pushed_at": pushed_at, "completed_at": completed_at,
                "error_message": error_message,
            })
        images = defaultdict(list)
        prefix = media.prefix
        for (id_, revision_id, source_type, prediction_id, refine_id, image_url, sketch_image_url, image_media_id,
             sketch_image_media_id, notes, autogenerated, created_at, updated_at) in image_rows:
            # Most images: an outside URL, shown as given (`shown` without the call).
            outside = image_url if image_url and not image_url.startswith(prefix) else shown(image_url, None)
            images[revision_id].append({
                "id": id_, "shot_revision_id": revision_id, "source_type": source_type,
                "prediction_id": prediction_id, "refine_id": refine_id,
                "image_url": outside if outside or image_media_id is None else media_url(image_media_id),
                "sketch_image_url": shown(sketch_image_url, sketch_image_media_id) if sketch_image_url
                or sketch_image_media_id is not None else None,
                "image_media": media_doc(image_media_id) if image_media_id is not None else None,
                "sketch_image_media": media_doc(sketch_image_media_id) if sketch_image_media_id is not None else None,
                "notes": notes, "autogenerated": autogenerated, "created_at": created_at, "updated_at": updated_at,
                # ShotRevisionImage.effective_image_url: the stored file, else the outside URL.
                "effective_image_url": media_url(image_media_id) if image_media_id is not None else outside,
            })
        revisions = defaultdict(list)
        for (id_, shot_id, version, notes, shot_status, shot_revision_status, owner_id, created_at, updated_at,
             previous_revision_id, push_status_rank, quality) in revision_rows:
            revision_images = images.get(id_, empty)
            revisions[shot_id].append({
                "id": id_, "shot_id": shot_id, "version": version, "notes": notes, "shot_status": shot_status,
                "shot_revision_status": shot_revision_status, "owner_id": owner_id,
                "owner": users.get(owner_id), "created_at": created_at,
                "updated_at": updated_at, "previous_revision_id": previous_revision_id, "images": revision_images,
                "display_name": f"Version {version}",
                "effective_image_url": next((image["effective_image_url"] for image in revision_images
                                             if image["effective_image_url"]), None),
                "push_records": pushes.get(id_, empty),
                "push_status": None if push_status_rank is None else PUSH_STATUS_NAMES[push_status_rank],
                "quality": quality or None,  # shots.api.fields.QualityField
            })
        shots = defaultdict(list)
        for (id_, look_id, shot_type_id, pose_preset_id, rework_available, rework_used, status, current_revision_id,
             created_at, updated_at) in shot_rows:
            shots[look_id].append({
                "id": id_, "shooting_look_id": look_id,
                "shot_type": shot_types.get(shot_type_id),
                "pose_preset_id": pose_preset_id, "rework_available": rework_available, "rework_used": rework_used,
                "status": status, "current_revision_id": current_revision_id, "revisions": revisions.get(id_, empty),
                "created_at": created_at, "updated_at": updated_at,
            })
        pose_presets, preset_docs = defaultdict(list), {}
        for look_id, *preset in pose_rows:
            doc = preset_docs.get(preset[0])
            if doc is None:
                (id_, created_at, updated_at, name, prompt, shot_type_id, owner_id, organization_id, pose_image_url,
                 pose_image_media_id) = preset
                doc = preset_docs[id_] = {
                    "id": id_, "created_at": created_at, "updated_at": updated_at, "name": name, "prompt": prompt,
                    "shot_type_id": shot_type_id, "owner_id": owner_id, "organization_id": organization_id,
                    "pose_image_url": shown(pose_image_url, pose_image_media_id),
                    "pose_image_media": media_doc(pose_image_media_id),
                }
            pose_presets[look_id].append(doc)
        outfit_media = defaultdict(list)
        for outfit_id, media_id, file in outfit_media_rows:
            outfit_media[outfit_id].append((media_id, file))
        outfit_products = defaultdict(list)
        for outfit_id, product_id in link_rows:
            outfit_products[outfit_id].append(product_id)
        outfits = defaultdict(list)
        for (id_, created_at, updated_at, look_id, ref_urls, instruction, generation_status, generation_error,
             retry_count, source) in outfit_rows:
            product_ids = outfit_products.get(id_, empty)
            ref_media = outfit_media.get(id_, empty)
            outfits[look_id].append({
                "id": id_, "created_at": created_at, "updated_at": updated_at, "shooting_look_id": look_id,
                "outfit_ref_imgs_urls": _strings(self.shown_ref_urls(ref_urls, ref_media)),
                "outfit_ref_images_media": [media_doc(media_id) for media_id, _ in ref_media],
                "outfit_instruction": instruction, "outfit_product_ids": list(product_ids),
                "outfit_products": [product_docs[product_id] for product_id in product_ids if product_id in product_docs],
                "generation_status": generation_status, "generation_error": generation_error,
                "retry_count": retry_count, "source": source,
            })

        documents = []
        for (id_, created_at, updated_at, shooting_id, subject_id, subject_name, subject_surname, product_id,
             product_name, product_sku, product_cover_url, product_cover_media_id, style_id, resolution_preset_id,
             width, height, background_preset_id, set_design_id, file_format, instructions, status,
             shot_status_rank, assignee_id, outfit_id) in look_rows:
            look_outfits = outfits.get(id_, empty)
            # ShootingLook.selected_outfit / outfit_proposals: THE outfit among the look's, and the others.
            selected = next((o for o in look_outfits if o["id"] == outfit_id), None)
            has_product = product_id is not None
            documents.append({
                "id": id_, "created_at": created_at, "updated_at": updated_at, "shooting_id": shooting_id,
                "subject_id": subject_id,
                "subject_name": " ".join(filter(None, [subject_name, subject_surname]))  # str(subject)
                if subject_id is not None else None,
                "product_id": product_id, "product_name": product_name if has_product else None,
                "product_sku": product_sku if has_product else None,
                "product_cover_image_url": shown(product_cover_url, product_cover_media_id) if has_product else None,
                "style_id": style_id, "resolution_preset_id": resolution_preset_id, "width": width,
                "height": height, "background_preset_id": background_preset_id, "set_design_id": set_design_id,
                "set_design": set_designs.get(set_design_id),
                "file_format": file_format, "instructions": instructions, "status": status,
                "shot_status": None if shot_status_rank is None else STATUS_NAMES[shot_status_rank],
                "assignee_id": assignee_id, "assignee": users.get(assignee_id),
                "pose_presets": pose_presets.get(id_, empty), "shots": shots.get(id_, empty),
                "outfit_proposals": [o for o in look_outfits if o["id"] != outfit_id],
                "outfit_id": outfit_id, "outfit": selected,
                "outfit_ref_imgs_urls": selected["outfit_ref_imgs_urls"] if selected else [],
                "outfit_instruction": selected["outfit_instruction"] if selected else None,
                "outfit_product_ids": selected["outfit_product_ids"] if selected else [],
            })
        return documents

    def shown_ref_urls(self, urls, ref_media) -> list:
        """`Outfit.shown_ref_imgs_urls`: outside URLs as given, storage URLs as the current URL of
        the reference media they name, others left out."""
        by_key = {file: media_id for media_id, file in ref_media}
        shown, prefix = [], self.media.prefix
        for url in urls or []:
            key = storage_key_of(url) if isinstance(url, str) and url.startswith(prefix) else None
            if key is None:
                shown.append(url)
            elif key in by_key:
                shown.append(self.media.url(by_key[key]))
        return shown

    # --- the objects the tree refers to ----------------------------------------------------------
    @staticmethod
    def read(model, ids: set, columns) -> list[tuple]:
        ids.discard(None)
        return rows(model.objects.filter(pk__in=ids).order_by(), *columns) if ids else []

    def read_set_designs(self, ids: set) -> dict:
        if not ids:
            return {"designs": []}
        images = ("id", "set_design_id", "created_at", "updated_at")
        found = {
            "designs": rows(catalog.SetDesign.objects.filter(pk__in=ids).order_by(), *SET_DESIGN),
            "base_images": rows(catalog.SetBaseImage.objects.filter(set_design__in=ids), *images, "shot_type_id",
                                "subject_id", "image_url", "image_media_id"),
            "reference_images": rows(catalog.SetReferenceImage.objects.filter(set_design__in=ids), *images,
                                     "shot_type_id", "label", "image_url", "image_media_id"),
            "subject_portraits": rows(catalog.SubjectPortrait.objects.filter(set_design__in=ids), *images,
                                      "subject_id", "image_url", "image_media_id"),
        }
        for key in ("base_images", "reference_images", "subject_portraits"):
            for row in found[key]:
                self.media.want(row[-1])
        return found

    def render_set_designs(self, found: dict) -> dict:
        """SetDesignPublic by id."""
        media = self.media
        docs = {}
        for id_, created_at, updated_at, name, description, background_preset_id, owner_id, organization_id in (
                found["designs"]):
            docs[id_] = {
                "id": id_, "created_at": created_at, "updated_at": updated_at, "name": name,
                "description": description, "background_preset_id": background_preset_id, "base_images": [],
                "reference_images": [], "subject_portraits": [], "owner_id": owner_id,
                "organization_id": organization_id,
            }
        for key, fields in (("base_images", ("shot_type_id", "subject_id")),
                            ("reference_images", ("shot_type_id", "label")),
                            ("subject_portraits", ("subject_id",))):
            for id_, design_id, created_at, updated_at, *values, image_url, media_id in found.get(key, []):
                docs[design_id][key].append({
                    "id": id_, "created_at": created_at, "updated_at": updated_at, **dict(zip(fields, values)),
                    "image_url": media.shown(image_url, media_id), "image_media": media.doc(media_id),
                })
        return docs

    def render_shot_types(self, found: list) -> dict:
        """ShotTypePublic by id."""
        media = self.media
        docs = {}
        for (id_, created_at, updated_at, name, prompt, prompt_instruction, builder_section, view_angle, framing,
             default_shot_type, core_focus, public, file_naming_convention, margins, reference_image_id,
             reference_image_url, shot_type_ref_image_url, owner_id, organization_id) in found:
            docs[id_] = {
                "id": id_, "created_at": created_at, "updated_at": updated_at, "name": name, "prompt": prompt,
                "shot_type_prompt_instruction": prompt_instruction, "prompt_builder_section": builder_section,
                "view_angle": view_angle, "framing": framing, "default_shot_type": default_shot_type,
                "core_focus": core_focus, "public": public, "file_naming_convention": file_naming_convention,
                "margins": margins, "reference_image": media.doc(reference_image_id),
                "reference_image_url": media.shown(reference_image_url, reference_image_id),
                "shot_type_ref_image_url": shot_type_ref_image_url, "owner_id": owner_id,
                "organization_id": organization_id,
            }
        return docs

    def read_products(self, ids: set) -> dict:
        """The products of `ids` as the catalog shows them to the user: the computed fields are
        `integrations.selectors.products_for`'s annotations, `shots` its latest look's."""
        if not ids:
            return {"products": [], "reference_media": {}, "shots": {}, "shot_types": set()}
        want = self.media.want
        found = rows(integration_selectors.products_for(self.user).filter(pk__in=ids).order_by(), *PRODUCT)
        reference_media = defaultdict(list)
        for product_id, media_id in rows(
                catalog.Product.reference_images_media.through.objects.filter(product__in=ids)
                .order_by("-mediaresource__created_at"), "product_id", "mediaresource_id"):
            want(media_id)
            reference_media[product_id].append(media_id)
        latest_looks = {row[PRODUCT.index("shot_status_shooting_look_id")] for row in found} - {None}
        shots = defaultdict(list)
        if latest_looks:
            for row in rows(integration_selectors.shot_summaries().filter(shooting_look__in=latest_looks),
                            *SHOT_SUMMARY):
                shots[row[1]].append(row)
        cover, back = PRODUCT.index("cover_image_media_id"), PRODUCT.index("back_image_media_id")
        for row in found:
            want(row[cover])
            want(row[back])
        return {"products": found, "reference_media": reference_media, "shots": shots,
                "shot_types": {row[2] for look_shots in shots.values() for row in look_shots}}

    def render_products(self, found: dict, shot_types: dict) -> dict:
        """ProductPublic by id."""
        media = self.media
        plain = len(PRODUCT_PLAIN)
        docs = {}
        for row in found["products"]:
            (cover_url, cover_media_id, back_url, back_media_id, reference_images, data_image_urls, public, enabled,
             archived, demo, is_filler, owner_id, organization_id, shot_status_rank, latest_look_id,
             integration_name, exports_completed, exports_total) = row[plain:]
            doc = dict(zip(PRODUCT_PLAIN, row[:plain]))
            doc.update({
                "cover_image_url": media.shown(cover_url, cover_media_id),
                "back_image_url": media.shown(back_url, back_media_id),
                "reference_images": _strings(reference_images),
                "cover_image_media": media.doc(cover_media_id), "back_image_media": media.doc(back_media_id),
                "reference_images_media": [media.doc(media_id) for media_id in found["reference_media"].get(row[0], [])],
                "data_image_urls": _strings(data_image_urls), "public": public, "enabled": enabled,
                "archived": archived, "demo": demo, "is_filler": is_filler, "owner_id": owner_id,
                "organization_id": organization_id,
                "shot_status": None if shot_status_rank is None else STATUS_NAMES[shot_status_rank],
                "shot_status_shooting_look_id": latest_look_id, "integration_name": integration_name,
                "exports_completed": exports_completed, "exports_total": exports_total,
                "shots": [] if latest_look_id is None else [
                    {"id": id_, "shot_type": shot_types.get(shot_type_id),
                     "status": status, "current_revision_id": current_revision_id,
                     "push_status": None if push_status_rank is None else PUSH_STATUS_NAMES[push_status_rank]}
                    for id_, _, shot_type_id, status, current_revision_id, push_status_rank
                    in found["shots"].get(latest_look_id, [])
                ],
            })
            docs[row[0]] = doc
        return docs


def look_documents(user, looks: models.QuerySet) -> list[dict]:
    """ShootingLookPublic of the looks of `looks` (a queryset: its filter and order)."""
    with _no_cyclic_gc():
        return LookDocuments(user).build(looks)


def looks_by_id(user, look_ids: Iterable) -> list[dict]:
    """ShootingLookPublic of these looks, in this order (a page of ids)."""
    look_ids = list(look_ids)
    by_id = {doc["id"]: doc for doc in look_documents(user, ShootingLook.objects.filter(pk__in=look_ids))}
    return [by_id[str(pk)] for pk in look_ids if str(pk) in by_id]


def look_document(user, look_id) -> dict:
    found = looks_by_id(user, [look_id])
    if not found:  # deleted since the access check
        raise NotFound("Look")
    return found[0]


def shooting_detail(user, shooting) -> dict:
    """ShootingDetailPublic: the shooting (`selectors.shootings()`, one object: its serializer) and
    its looks, oldest first, built from rows."""
    head = ShootingPublicSerializer(shooting).data
    looks = ShootingLook.objects.filter(shooting=shooting.pk).order_by("created_at", "id")
    return {**head, "looks": look_documents(user, looks)}
