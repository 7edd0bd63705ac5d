"""Flows the one-operation cases cannot show: public resources used by two tenants, exports and
downloads through them, what the worker reads, callbacks, transfers, stored files.

Each scenario is `fn(world, ctx)`, run in a savepoint like every case of the walk.
"""
from __future__ import annotations

import io
import json

from django.core.files.storage import default_storage
from PIL import Image

from sartiq.catalog.models import SubjectBaseImage
from sartiq.media.models import MediaResource
from shots.generation import generation_run
from shots.models import Generation, ShotRevisionImage
from tests.security.recipes import b64
from tests.security.world import A_SECRET_COLOUR, png

SCENARIOS = {}


def scenario(name):
    def register(fn):
        SCENARIOS[name] = fn
        return fn
    return register


# --- within organization A -------------------------------------------------------------------------
@scenario("transfer-by-member")
def _transfer_by_member(w, ctx):
    """Finding 5: a MEMBER moves A's shooting into an organization of their own."""
    a = w.trees["A"]
    response = ctx.call("member", "patch", f"/api/v1/shootings/{a.id('shooting')}/",
                        body={"organization_id": str(w.orgs["M"].pk)})
    ctx.expect_status(response, {403})
    ctx.expect_unchanged()


# --- public resources ----------------------------------------------------------------------------
@scenario("public-export-look-by-A")
def _public_export_by_a(w, ctx):
    """A exports its look of the public product: only A's integrations receive it, and A's push list
    names no integration of B's (finding 3)."""
    a = w.trees["A"]
    response = ctx.call("owner", "post", f"/api/v1/shots/looks/{a.id('look_pub')}/export/")
    ctx.expect_allowed(response)
    ctx.call("owner", "get", "/api/v1/external-image-pushes/", query={"organization_id": a.org_id})


@scenario("public-export-revision-by-B")
def _public_export_by_b(w, ctx):
    """B exports its revision of the public product: A's integration (and retailer token) is not used."""
    b = w.trees["B"]
    response = ctx.call("b_owner", "post", f"/api/v1/shots/revisions/{b.id('revision_pub')}/export/")
    ctx.expect_allowed(response)
    ctx.call("b_owner", "get", "/api/v1/external-image-pushes/", query={"organization_id": b.org_id})


@scenario("public-mapping-by-B")
def _public_mapping_by_b(w, ctx):
    """Finding 3: B may map the public product to B's own integration (B exports its own looks of it),
    and that mapping never reaches another tenant: A's export of its look of the same product goes
    to A's integrations only (the `exports-*` scenarios and every push list scan check that)."""
    b = w.trees["B"]
    response = ctx.call("b_owner", "post", "/api/v1/external-product-mappings/",
                        query={"organization_id": b.org_id},
                        body={"product_id": str(w.public["product_unmapped"].pk), "integration_id": b.id("integration"),
                              "style_code": "XTENBMINE"})
    ctx.expect_allowed(response)
    a = w.trees["A"]
    export = ctx.call("owner", "post",
                      f"/api/v1/shots/looks/{a.id('look')}/export/")
    ctx.expect_status(export, {200, 400})
    from integrations.models import ExternalImagePush

    assert not ExternalImagePush.objects.filter(integration_id=b.id("integration"),
                                                revision__shot__shooting_look__shooting__organization_id=a.org_id
                                                ).exists(), "A's export reached B's integration"


@scenario("public-download-ovs-by-B")
def _public_download_by_b(w, ctx):
    """B downloads its shot of the public product with the OVS adapter: the file name and metadata
    come from B's mapping, never A's."""
    b = w.trees["B"]
    ctx.expect_allowed(ctx.call("b_owner", "put", "/api/v1/export-configuration/", body={"adapter": "OVS"}))
    response = ctx.call("b_owner", "get", f"/api/v1/shots/{b.id('shot_pub')}/download/")
    ctx.expect_allowed(response)


@scenario("public-product-figures")
def _public_product_figures(w, ctx):
    """The public product's computed fields, as B and the outsider see them, come from their own
    looks and pushes only."""
    for role, key in (("b_owner", "B"), ("outsider", "O")):
        tree = w.trees[key]
        response = ctx.call(role, "get", f"/api/v1/products/{w.public['product'].pk}/")
        ctx.expect_allowed(response)
        data = response.json()
        mine = {"exports_total": 1, "exports_completed": 1, "shot_status_shooting_look_id": tree.id("look_pub"),
                "shot_status": "APPROVED"}
        for name, value in mine.items():
            if data.get(name) != value:
                ctx.problem(f"{role}: products/{{public}}.{name} = {data.get(name)!r}, expected {value!r} "
                            "(from their own looks and pushes)")
        if data.get("integration_name") not in (None, f"{tree.mark} OVS"):
            ctx.problem(f"{role}: products/{{public}}.integration_name = {data.get('integration_name')!r}, "
                        "expected their own integration's name or null")


@scenario("public-subject-base-image-by-B")
def _public_subject_base_image(w, ctx):
    """B creates looks with the public subject and asks for base images: the worker must not write
    B's picture into the public subject (which B may not change, and every tenant uses)."""
    b, subject = w.trees["B"], w.public["subject"]
    response = ctx.call("b_owner", "post", f"/api/v1/shootings/{b.id('shooting')}/looks/", body={
        "product_ids": [b.id("product")], "subject_ids": [str(subject.pk)], "shot_type_ids": [b.id("shot_type")],
        "generate_base_images": True})
    ctx.expect_allowed(response)  # using a public subject is what public means
    if response.status_code != 200:
        return
    for result in response.json()["generation_results"]:
        generation_run(generation_id=result["generation_id"])
    for base in SubjectBaseImage.objects.filter(subject=subject).select_related("image_media"):
        if base.image_media is not None and base.image_media.organization_id == w.orgs["B"].pk:
            ctx.problem(f"the public subject {subject.pk} now has B's generated picture {base.image_media.url} as "
                        f"its base image for shot type {base.shot_type_id}: written by B's base-image generation")
    ctx.expect_allowed(ctx.call("owner", "get", f"/api/v1/subjects/{subject.pk}/"))


@scenario("summary-counts")
def _summary_counts(w, ctx):
    """Totals count only the caller's looks (a leak in a number shows no id)."""
    for role, query, looks in (("b_owner", {"organization_id": str(w.orgs["B"].pk)}, 2), ("outsider", {}, 2)):
        response = ctx.call(role, "get", "/api/v1/shootings/summary/", query=query)
        ctx.expect_allowed(response)
        if response.json().get("total_shooting_looks") != looks:
            ctx.problem(f"{role}: summary counts {response.json()} (expected {looks} looks, their own)")


# --- stored files --------------------------------------------------------------------------------
@scenario("sketch-of-A-then-delete-by-B")
def _sketch_then_delete(w, ctx):
    """Finding 4: B references A's stored image as a sketch, then deletes its revision; A's media
    resource and file must survive (the reference must have been refused to begin with)."""
    a, b = w.trees["A"], w.trees["B"]
    media = a["media_rev"]
    response = ctx.call("b_owner", "post", f"/api/v1/shots/{b.id('shot')}/revision/", body={
        "shot_status": "PROPOSAL", "images": [{"image_data": b64(png((10, 10))), "sketch_image_url": media.url}]})
    ctx.expect_status(response, {400, 403, 404, 422}, what="A's media URL as sketch_image_url")
    if response.status_code == 200:
        ctx.call("b_owner", "delete", f"/api/v1/shots/revisions/{response.json()['id']}/")
        if not MediaResource.objects.filter(pk=media.pk).exists():
            ctx.problem(f"B's delete removed A's media resource {media.pk}")
        if not default_storage.exists(media.file.name):
            ctx.problem(f"B's delete removed A's stored file {media.file.name}")


@scenario("image-of-A-into-M-by-member-then-delete")
def _image_into_other_org(w, ctx):
    """A's member, who also owns organization M, gives A's product cover (a URL of A's stored file)
    as an image of a revision in M: M's members would see A's picture, and deleting that revision
    releases A's file. The revision image check is a visibility check, not an audience one."""
    a, m = w.trees["A"], w.trees["M"]
    media = a["media_cover"]
    response = ctx.call("m_member", "post", f"/api/v1/shots/{m.id('shot')}/revision/", body={
        "shot_status": "PROPOSAL", "images": [{"image_url": media.url}]})
    ctx.expect_status(response, {400, 403, 404, 422}, what="A's media URL in a revision of organization M")
    if response.status_code == 200:
        ctx.call("m_member", "delete", f"/api/v1/shots/revisions/{response.json()['id']}/")
        if not MediaResource.objects.filter(pk=media.pk).exists():
            ctx.problem(f"deleting M's revision deleted A's media resource {media.pk} (the cover of A's product "
                        f"{a.id('product')})")
        if not default_storage.exists(media.file.name):
            ctx.problem(f"deleting M's revision deleted A's stored file {media.file.name}")


@scenario("generation-reads-A-file-by-url")
def _generation_reads_foreign_file(w, ctx):
    """B gives A's stored image URL as its subject's base image, then generates: the worker must not
    read A's file into B's picture (storage URLs in catalog inputs are references, not strings)."""
    a, b = w.trees["A"], w.trees["B"]
    response = ctx.call("b_owner", "patch", f"/api/v1/subjects/{b.id('subject')}/", body={"base_images": [
        {"shot_type_id": b.id("shot_type"), "image_url": a.url("media_rev")}]})
    ctx.expect_status(response, {400, 403, 404, 422}, what="A's media URL as a base image_url")
    started = ctx.call("b_owner", "post", f"/api/v1/shots/{b.id('shot')}/generate/", body={"generations_count": 1})
    if started.status_code != 200:
        return
    generation_id = started.json()["generation_ids"][0]
    generation_run(generation_id=generation_id)
    generation = Generation.objects.get(pk=generation_id)
    image = ShotRevisionImage.objects.filter(shot_revision=generation.revision).select_related("image_media").first()
    if image is None:
        ctx.problem(f"the generation did not complete: {generation.status} {generation.error}")
        return
    with image.image_media.file.open("rb") as handle:
        picture = Image.open(io.BytesIO(handle.read())).convert("RGB")
    hits = dict((colour, n) for n, colour in picture.getcolors(maxcolors=1 << 20)).get(A_SECRET_COLOUR, 0)
    if hits:
        ctx.problem(f"B's generated image {image.image_media.url} contains {hits} pixels of A's revision image "
                    f"{a.url('media_rev')}: the worker read A's file for B")


@scenario("media-file-served-to-anyone")
def _media_served(w, ctx):
    """Finding 9: local media is served to anyone who has the path (a signed, expiring URL is the
    capability; the bare path without its signature must not be one)."""
    response = ctx.call("anonymous", "get", w.trees["A"].url("media_rev").split("?", 1)[0])
    ctx.expect_status(response, {401, 403, 404})


# --- integrations --------------------------------------------------------------------------------
@scenario("env-credentials")
def _env_credentials(w, ctx):
    """Finding 1: a tenant names the server's configuration as its credentials."""
    response = ctx.call("b_owner", "post", "/api/v1/external-integrations/", query={"organization_id": w.trees["B"].org_id},
                        body={"name": "xtenb env", "integration_type": "OVS", "credentials": "env:SECRET_KEY"})
    ctx.expect_status(response, {400, 403, 422})
    ctx.expect_unchanged()


@scenario("callback-for-A-push")
def _callback(w, ctx):
    """A callback signed for B's integration cannot confirm A's push; one for A's integration needs
    A's secret (Standard Webhooks signatures made by the `standardwebhooks` package)."""
    from datetime import datetime, timezone

    from standardwebhooks import Webhook

    from integrations.secrets import reveal

    a, b = w.trees["A"], w.trees["B"]
    body = json.dumps({"idempotency_key": str(a["push"].idempotency_key), "status": "rejected",
                       "message": "xtenb"})
    msg_id = "msg_walk_callback"
    at = datetime.now(tz=timezone.utc)
    signature = Webhook(reveal(b["integration"].callback_secret)).sign(msg_id, at, body)
    headers = {"HTTP_WEBHOOK_ID": msg_id, "HTTP_WEBHOOK_TIMESTAMP": str(int(at.timestamp())),
               "HTTP_WEBHOOK_SIGNATURE": signature}
    for integration, statuses in ((b["integration"], {404}), (a["integration"], {401})):
        response = ctx.call("anonymous", "post", f"/api/v1/integrations/{integration.pk}/callback/",
                            body=body.encode(), fmt="raw", extra=headers)
        ctx.expect_status(response, statuses)
    ctx.expect_unchanged()


# --- the admin (not in the OpenAPI document, same tenancy rule) ----------------------------------
@scenario("admin-staff-of-B-references-A")
def _admin_references(w, ctx):
    """A staff user of B (allowed to change products, as a tenant's reviewer would be) edits B's
    product in the admin: the tenant fields and references must stay within B (the API refuses A's
    media as a cover with 403)."""
    from django.contrib.auth.models import Permission
    from django.test import Client

    a, b = w.trees["A"], w.trees["B"]
    staff = w.users["b_owner"]
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    staff.user_permissions.set(Permission.objects.filter(codename__in=["change_product", "view_product"]))
    client = Client()
    client.force_login(staff)
    url = f"/admin/catalog/product/{b.id('product')}/change/"
    page = client.get(url)
    if page.status_code != 200:
        ctx.problem(f"the admin change page answered {page.status_code}")
        return
    data = _admin_form_data(page)
    data["cover_image_media"] = a.id("media_rev")
    ctx.calls.append(f"staff b_owner: POST {url} cover_image_media={a.id('media_rev')} (A's revision image)")
    client.post(url, data)
    product = type(b["product"]).objects.get(pk=b["product"].pk)
    if product.cover_image_media_id == a["media_rev"].pk:
        ctx.problem(f"the admin saved A's media {a.id('media_rev')} as the cover of B's product {product.pk}; "
                    f"B's API now shows it: GET /api/v1/products/{product.pk}/")
        ctx.call("b_owner", "get", f"/api/v1/products/{product.pk}/")
    data["cover_image_media"] = b.id("media_cover")
    data["organization"] = str(w.orgs["A"].pk)
    ctx.calls.append(f"staff b_owner: POST {url} organization={w.orgs['A'].pk} (A's organization)")
    client.post(url, data)
    product = type(b["product"]).objects.get(pk=b["product"].pk)
    if product.organization_id == w.orgs["A"].pk:
        ctx.problem(f"the admin moved B's product {product.pk} into organization A (B wrote into A's catalog)")


def _admin_form_data(page) -> dict:
    """The change form's current values, as the browser would post them back."""
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if isinstance(value, (list, tuple)):
            value = [str(getattr(v, "pk", v)) for v in value]
        elif isinstance(value, (dict, list)) or name in ("reference_images", "data_image_urls", "brand_metadata"):
            value = json.dumps(value)
        elif hasattr(value, "pk"):
            value = str(value.pk)
        if value is not None:
            data[name] = value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
    return data
