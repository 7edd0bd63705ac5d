"""How to call each operation of the OpenAPI document, and what the ids in it are.

A recipe says who may call an operation (`access`), which of the tenant's objects its path
parameters name when the parameter's name does not say it (`path`), and the request bodies that
succeed for that tenant (`bodies`: variants; every body field that carries an id must appear in
one of them, filled with the tenant's own object, so that the walk can swap in another tenant's).
Bodies and queries are functions of the tenant tree, so one recipe serves A's members (against A)
and every attacker (against their own objects).

Field and parameter kinds name what an id refers to; a body field or query parameter whose name
looks like a reference (`*_id`, `*_ids`, `*_url`, ...) and that is not classified here fails the
walk, so a new reference cannot slip in unexamined.
"""
from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field
from typing import Callable

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.security.world import PASSWORD, png

# --- what names mean ------------------------------------------------------------------------------
# Path parameters: name -> kind of the tenant tree.
PATH_KINDS = {
    "background_preset_id": "background_preset", "push_id": "push", "integration_id": "integration",
    "mapping_id": "mapping", "generation_id": "generation", "guidelines_id": "guidelines",
    "media_resource_id": "media_free", "organization_id": "organization", "user_id": "member_user",
    "outfit_id": "outfit", "pose_preset_id": "pose_preset", "product_id": "product",
    "resolution_preset_id": "resolution_preset", "set_design_id": "set_design", "shooting_id": "shooting",
    "look_id": "look", "shot_type_id": "shot_type", "shot_id": "shot", "revision_id": "revision",
    "style_id": "style", "subject_id": "subject",
    "webhook_endpoint_id": "webhook_endpoint", "delivery_id": "webhook_delivery",
}

# Body fields and query parameters that carry a reference: name -> kind.
FIELD_KINDS = {
    "product_id": "product", "product_ids": "product", "outfit_product_ids": "product",
    "subject_id": "subject", "subject_ids": "subject",
    "shot_type_id": "shot_type", "shot_type_ids": "shot_type", "shot_type": "shot_type",
    "pose_preset_ids": "pose_preset", "set_design_id": "set_design",
    "style_id": "style", "default_style_id": "style",
    "resolution_preset_id": "resolution_preset", "default_resolution_preset_id": "resolution_preset",
    "background_preset_id": "background_preset", "default_background_preset_id": "background_preset",
    "default_guidelines_id": "guidelines", "organization_id": "organization",
    "shooting_id": "shooting", "shooting_look_id": "look", "look_id": "look", "shot_id": "shot",
    "outfit_id": "outfit", "revision_id": "revision", "current_revision_id": "revision",
    "previous_revision_id": "revision", "prediction_id": "prediction", "integration_id": "integration",
    "assignee_id": "user", "assignee_ids": "user", "user_id": "user",
    "media_resource_id": "media", "cover_image_media_id": "media", "back_image_media_id": "media",
    "reference_images_media_ids": "media", "portrait_image_media_id": "media", "pose_image_media_id": "media",
    "reference_image_id": "media", "image_media_id": "media",
    # URLs: a URL of the project's storage names a stored file as surely as its id does.
    "image_url": "media_url", "sketch_image_url": "media_url", "cover_image_url": "media_url",
    "back_image_url": "media_url", "portrait_image_url": "media_url", "pose_image_url": "media_url",
    "reference_image_url": "media_url", "shot_type_ref_image_url": "media_url", "url": "media_url",
    "reference_images": "media_url", "data_image_urls": "media_url", "outfit_ref_imgs_urls": "media_url",
}
# Reference-like names that reference nothing of a tenant (not walked), with the reason.
OPAQUE = {
    "product_type_id": "a free UUID label of the client's taxonomy; joins nothing",
    "refine_id": "a free UUID label; joins nothing",
    "client_id": "OAuth2 form field, ignored",
    "external_id": "the retailer's own item id (free text)",
    "endpoint_url": "an outbound URL: the outbound area's SSRF tests cover it",
}
# A (operation, field) pair that accepts another tenant's id by design, with the reason.
BY_DESIGN = {
    ("organizations_members_create", "user_id"):
        "admins add any existing user to their organization by id or e-mail (no invitation step)",
}
# Kinds that also exist as public resources (their public ids are usable by everyone by design).
PUBLIC_KINDS = {"product": "product", "shot_type": "shot_type"}

# The object of another tenant swapped into a field of each kind.
FOREIGN_OBJECT = {
    "product": "product", "subject": "subject", "shot_type": "shot_type", "pose_preset": "pose_preset",
    "set_design": "set_design", "style": "style", "resolution_preset": "resolution_preset",
    "background_preset": "background_preset", "guidelines": "guidelines", "shooting": "shooting",
    "look": "look", "shot": "shot", "outfit": "outfit", "revision": "revision", "prediction": "prediction",
    "integration": "integration", "media": "media_rev", "media_url": "media_rev",
}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


# --- recipes --------------------------------------------------------------------------------------
@dataclass
class Recipe:
    # member: any member of the tenant; admin: owners and admins; owner: owners;
    # self: acts on the caller only (no tenant object); anon: needs no login
    access: str = "member"
    bodies: Callable | None = None  # (tree, world) -> list of body variants
    query: Callable | None = None  # (tree, world) -> dict of query parameters
    path: dict = field(default_factory=dict)  # path parameter -> kind, when its name does not say
    fmt: str = "json"  # json | multipart | form
    ok: int = 200
    note: str = ""


def _due():
    return "2031-01-31T12:00:00Z"


def ext(t, name: str) -> str:
    """An outside URL (stored as given, never fetched): what URL fields without a media field beside
    them accept (a URL of our storage there is a 422 by decision, docs/decisions.md)."""
    return f"https://cdn.example.com/{t.mark}/{name}.png"


def _refs(t, kind="media_outfit_ref"):
    """outfit_ref_imgs_urls in all three forms: a media id, a URL string, a URL object."""
    return [{"media_resource_id": t.id(kind)}, t.url(kind), {"url": t.url(kind)}]


def product_body(t, w):
    return [{
        "name": f"{t.mark} new product", "sku": f"{t.mark}-NEW", "cover_image_url": t.url("media_cover"),
        "back_image_url": t.url("media_back"), "reference_images": [ext(t, "ref")],
        "data_image_urls": [ext(t, "data")], "cover_image_media_id": t.id("media_cover"),
        "back_image_media_id": t.id("media_back"), "reference_images_media_ids": [t.id("media_ref")],
        "product_type_id": str(uuid.uuid4()),
    }]


def subject_body(t, w):
    return [{
        "name": f"{t.mark} new subject", "gender": "FEMALE", "cover_image_url": t.url("media_subject_cover"),
        "cover_image_media_id": t.id("media_subject_cover"), "portrait_image_url": t.url("media_portrait"),
        "portrait_image_media_id": t.id("media_portrait"), "data_image_urls": [ext(t, "data")],
        "base_images": [{"shot_type_id": t.id("shot_type"), "image_url": t.url("media_base"),
                         "image_media_id": t.id("media_base")}],
    }]


def shot_type_body(t, w):
    return [{"name": f"{t.mark} new shot type", "reference_image_id": t.id("media_st_ref"),
             "reference_image_url": t.url("media_st_ref"), "shot_type_ref_image_url": ext(t, "st-ref")}]


def pose_body(t, w):
    return [{"name": f"{t.mark} new pose", "shot_type_id": t.id("shot_type"), "pose_image_url": t.url("media_pose"),
             "pose_image_media_id": t.id("media_pose")}]


def set_design_body(t, w):
    return [{
        "name": f"{t.mark} new set", "background_preset_id": t.id("background_preset"),
        "base_images": [{"shot_type_id": t.id("shot_type"), "subject_id": t.id("subject"),
                         "image_url": t.url("media_set_base"), "image_media_id": t.id("media_set_base")}],
        "reference_images": [{"shot_type_id": t.id("shot_type"), "label": f"{t.mark} label",
                              "image_url": t.url("media_set_ref"), "image_media_id": t.id("media_set_ref")}],
        "subject_portraits": [{"subject_id": t.id("subject"), "image_url": t.url("media_set_portrait"),
                               "image_media_id": t.id("media_set_portrait")}],
    }]


def guidelines_body(t, w):
    return [{"name": f"{t.mark} new guidelines", "shot_type_ids": [t.id("shot_type")],
             "subject_ids": [t.id("subject")], "pose_preset_ids": [t.id("pose_preset")],
             "set_design_id": t.id("set_design"), "style_id": t.id("style"),
             "resolution_preset_id": t.id("resolution_preset"), "background_preset_id": t.id("background_preset")}]


def media_create_body(t, w):
    return [{"file": SimpleUploadedFile("upload.png", png((9, 9)), content_type="image/png"),
             "alt_text": f"{t.mark} upload"}]


def integration_body(t, w):
    return [{"name": f"{t.mark} new OVS", "integration_type": "OVS", "endpoint_url": "https://retailer.example/api",
             "credentials": f"{t.mark}-new-token"}]


def webhook_endpoint_body(t, w):
    return [{"url": f"https://{t.mark}-hooks.example/new", "events": ["shot.*", "push.completed"],
             "description": f"{t.mark} new hook"}]


def shooting_body(t, w):
    return [{"name": f"{t.mark} new shooting", "due_date": _due(), "organization_id": t.org_id,
             "default_guidelines_id": t.id("guidelines")}]


def looks_create_body(t, w):
    return [{
        "product_ids": [t.id("product")],
        "product_outfit_configs": [{
            "product_id": t.id("product2"), "outfit_product_ids": [t.id("product")],
            "outfit_ref_imgs_urls": _refs(t), "outfit_instruction": f"{t.mark} config",
            "style_id": t.id("style"), "resolution_preset_id": t.id("resolution_preset"),
            "background_preset_id": t.id("background_preset"),
        }],
        "subject_ids": [t.id("subject")], "shot_type_ids": [t.id("shot_type")],
        "default_style_id": t.id("style"), "default_resolution_preset_id": t.id("resolution_preset"),
        "default_background_preset_id": t.id("background_preset"), "pose_preset_ids": [t.id("pose_preset")],
        "set_design_id": t.id("set_design"),
    }]


def look_update_body(t, w):
    return [{"subject_id": t.id("subject"), "product_id": t.id("product"), "outfit_id": t.id("outfit"),
             "style_id": t.id("style"), "resolution_preset_id": t.id("resolution_preset"),
             "background_preset_id": t.id("background_preset"), "assignee_id": str(t.owner.pk),
             "shot_type_ids": [t.id("shot_type"), t.id("shot_type_back")]}]


def outfit_fields(t):
    return {"outfit_ref_imgs_urls": _refs(t), "outfit_instruction": f"{t.mark} outfit",
            "outfit_product_ids": [t.id("product2")]}


def revision_body(t, w):
    return [
        {"shot_status": "PROPOSAL", "notes": f"{t.mark} notes", "previous_revision_id": t.id("revision_leaf"),
         "images": [{"source_type": "UPLOAD", "image_url": t.url("media_free"),
                     "sketch_image_url": t.url("media_sketch"), "refine_id": str(uuid.uuid4())}]},
        {"shot_status": "PROPOSAL", "images": [{"source_type": "PREDICTION", "prediction_id": t.id("prediction")}]},
        {"shot_status": "PROPOSAL", "images": [{"image_data": b64(png((12, 12))),
                                                "sketch_image_data": b64(png((6, 6)))}]},
    ]


def const(*bodies):
    return lambda t, w: [dict(b) for b in bodies]


def catalog(body, **kwargs):
    """The six operations of a catalog-like resource."""
    return {
        "list": Recipe(**kwargs), "create": Recipe(bodies=body, **kwargs), "retrieve": Recipe(**kwargs),
        "update": Recipe(bodies=body, **kwargs), "partial_update": Recipe(bodies=body, **kwargs),
        "destroy": Recipe(**kwargs),
    }


RECIPES: dict[str, Recipe] = {}
for prefix, body in (
    ("products", product_body), ("subjects", subject_body), ("shot_types", shot_type_body),
    ("pose_presets", pose_body), ("set_designs", set_design_body), ("guidelines", guidelines_body),
    ("styles", lambda t, w: [{"name": f"{t.mark} new style", "reference_image_url": ext(t, "style")}]),
    ("resolution_presets", const({"name": "new 1:1", "width": 100, "height": 100})),
    ("background_presets", lambda t, w: [{"name": f"{t.mark} new bg", "image_url": ext(t, "bg")}]),
):
    for action, recipe in catalog(body).items():
        RECIPES[f"{prefix}_{action}"] = recipe

RECIPES.update({
    "media_resources_list": Recipe(),
    "media_resources_create": Recipe(bodies=media_create_body, fmt="multipart"),
    "media_resources_retrieve": Recipe(),
    "media_resources_update": Recipe(bodies=const({"alt_text": "renamed"})),
    "media_resources_partial_update": Recipe(bodies=const({"alt_text": "renamed"})),
    "media_resources_destroy": Recipe(),

    # Finding 6: editing an integration requires ADMIN/OWNER.
    "external_integrations_list": Recipe(),
    "external_integrations_create": Recipe(access="admin", bodies=integration_body),
    "external_integrations_retrieve": Recipe(),
    "external_integrations_update": Recipe(access="admin", bodies=integration_body),
    "external_integrations_partial_update": Recipe(access="admin", bodies=integration_body),
    "external_integrations_destroy": Recipe(access="admin"),
    "external_integrations_rotate_callback_secret_create": Recipe(access="admin"),
    "external_product_mappings_list": Recipe(),
    # Mappings decide where a tenant's images go: managed by ADMIN/OWNER like integrations.
    "external_product_mappings_create": Recipe(access="admin", bodies=lambda t, w: [{
        "product_id": t.id("product2"), "integration_id": t.id("integration"), "external_id": f"{t.mark}-EXT-9",
        "style_code": f"{t.mark}NEW"}]),
    "external_product_mappings_retrieve": Recipe(),
    "external_product_mappings_update": Recipe(access="admin", bodies=const({"style_code": "RENAMED"})),
    "external_product_mappings_partial_update": Recipe(access="admin", bodies=const({"style_code": "RENAMED"})),
    "external_product_mappings_destroy": Recipe(access="admin"),
    "external_image_pushes_list": Recipe(),
    "external_image_pushes_retrieve": Recipe(),
    "external_image_pushes_retry_create": Recipe(),
    "shots-export_revision": Recipe(),
    "shots-export_look": Recipe(),

    # Webhook endpoints: members read them and their deliveries, ADMIN/OWNER manage them (the secret
    # is in the answer of a creation or a rotation only).
    "webhook_endpoints_list": Recipe(),
    "webhook_endpoints_create": Recipe(access="admin", bodies=webhook_endpoint_body),
    "webhook_endpoints_retrieve": Recipe(),
    "webhook_endpoints_update": Recipe(access="admin", bodies=webhook_endpoint_body),
    "webhook_endpoints_partial_update": Recipe(access="admin", bodies=webhook_endpoint_body),
    "webhook_endpoints_destroy": Recipe(access="admin"),
    "webhook_endpoints_rotate_secret_create": Recipe(access="admin"),
    "webhook_endpoints_deliveries_list": Recipe(),
    "webhook_endpoints_deliveries_retry_create": Recipe(access="admin"),
    "webhook_endpoints_test_create": Recipe(access="admin"),

    "generations_list": Recipe(),
    "events_list": Recipe(query=lambda t, w: {"shooting_id": t.id("shooting")}),
    "shots_history_list": Recipe(),
    "shootings_history_list": Recipe(),
    "generations_retrieve": Recipe(),
    "generations_cancel_create": Recipe(),
    "export_configuration_retrieve": Recipe(access="self"),
    "export_configuration_update": Recipe(access="self", bodies=const({"format": "PNG", "adapter": "OVS"})),

    "login-access_token": Recipe(access="anon", fmt="form", bodies=lambda t, w: [
        {"username": w.users["owner"].email, "password": PASSWORD}]),
    "login-test_token": Recipe(access="self"),
    "users-register_user": Recipe(access="anon", bodies=const({"email": "newcomer@example.com",
                                                                  "password": "a-long-enough-pass"})),
    "users_me_retrieve": Recipe(access="self"),
    "users_me_partial_update": Recipe(access="self", bodies=const({"full_name": "Renamed"})),
    "users_me_password_partial_update": Recipe(access="self", bodies=const(
        {"current_password": PASSWORD, "new_password": "another-horse-battery"})),

    "organizations_list": Recipe(access="self"),
    "organizations_create": Recipe(access="self", bodies=const({"name": "New org"})),
    "organizations_retrieve": Recipe(),
    "organizations_update": Recipe(access="admin", bodies=const({"name": "Renamed org"})),
    "organizations_partial_update": Recipe(access="admin", bodies=const({"name": "Renamed org"})),
    "organizations_destroy": Recipe(access="owner"),
    "organizations_members_list": Recipe(),
    "organizations_members_create": Recipe(access="admin", bodies=lambda t, w: [
        {"user_id": str(w.users["spare"].pk), "role": "MEMBER"}]),
    "organizations_members_partial_update": Recipe(access="admin", bodies=const({"role": "ADMIN"})),
    # The member themself may leave: every member of A may remove A's member.
    "organizations_members_destroy": Recipe(note="a member may leave"),
    "organizations_engine_retrieve": Recipe(),
    "organizations_engine_update": Recipe(access="admin", bodies=const({"engine": "local"})),
    "organizations_engine_destroy": Recipe(access="admin"),

    "outfits_list": Recipe(),
    "outfits_create": Recipe(bodies=lambda t, w: [{"shooting_look_id": t.id("look"), **outfit_fields(t)}]),
    "outfits_retrieve": Recipe(),

    "shootings_list": Recipe(),
    "shootings_create": Recipe(bodies=shooting_body),
    "shootings_retrieve": Recipe(),
    "shootings_update": Recipe(bodies=shooting_body),
    "shootings_partial_update": Recipe(bodies=shooting_body),
    "shootings_destroy": Recipe(),
    "shootings_draft_summary_retrieve": Recipe(),
    "shootings_review_report_retrieve": Recipe(),
    "shootings_summary_retrieve": Recipe(query=lambda t, w: {"shooting_id": t.id("shooting")}),
    "shootings_looks_list": Recipe(),
    "shootings_looks_create": Recipe(bodies=looks_create_body),
    "shootings_looks_summary_list": Recipe(),
    "shootings_looks_retrieve": Recipe(),
    "shootings_looks_update": Recipe(bodies=look_update_body),
    "shootings_looks_destroy": Recipe(),
    "shootings_looks_retrieve_by_id": Recipe(),
    "shootings_looks_finalize_outfit_create": Recipe(bodies=lambda t, w: [
        {"outfit_id": t.id("outfit")}, outfit_fields(t)]),
    "shootings_looks_outfit_create": Recipe(bodies=lambda t, w: [outfit_fields(t)]),
    "shootings_looks_start_generations_create": Recipe(bodies=const({"generations_per_shot_type": 1})),
    "shootings_looks_start_shot_type_generations_create": Recipe(bodies=lambda t, w: [
        {"shot_type_id": t.id("shot_type"), "generations_count": 1}]),

    "shots_list": Recipe(),
    "shots_create": Recipe(bodies=lambda t, w: [
        {"shooting_look_id": t.id("look"), "shot_type_id": t.id("shot_type_free")}]),
    "shots_retrieve": Recipe(),
    "shots_update": Recipe(bodies=lambda t, w: [
        {"current_revision_id": t.id("revision"), "shot_type_id": t.id("shot_type_free"), "rework_available": 3}]),
    "shots_partial_update": Recipe(bodies=lambda t, w: [
        {"current_revision_id": t.id("revision"), "shot_type_id": t.id("shot_type_free"), "rework_available": 3}]),
    "shots_destroy": Recipe(),
    "shots_approve_create": Recipe(),
    "shots_download_retrieve": Recipe(),
    "shots_generate_create": Recipe(bodies=const({"generations_count": 1})),
    "shots_reject_create": Recipe(bodies=const({"notes": "too dark"})),
    "shots_revision_create": Recipe(bodies=revision_body),
    "shots_revisions_retrieve": Recipe(),
    "shots_revisions_destroy": Recipe(path={"revision_id": "revision_leaf"}, ok=204),
    "shots_revisions_restore_create": Recipe(),
    "shots_revisions_set_current_create": Recipe(),
    "shots_revisions_upload_url_retrieve": Recipe(query=lambda t, w: {
        "shot_id": t.id("shot"), "filename": "front.png", "content_type": "image/png"}),
})
