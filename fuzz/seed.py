"""The demo tree a fuzz run works on, created through the API as a client would.

One fuzz user (signed up, bearer token) owns two tenants: its personal resources and an
organization it owns, each with a catalog (stored images, shot types, subjects, products, pose
presets, presets, a set design, guidelines), a shooting with looks and shots, revisions with stored
images (approved ones among them), an OVS integration pointing at the fake retailer with product
mappings, an export (a push), generations and outfits. A peer user is a member of the organization.

Destructive operations get victims of their own (`victims`): a second organization and, in each
tenant, a second tree, so that a DELETE never removes what the other operations work on.

`seed()` returns the ids by tenant and kind, which the run hands to schemathesis as dictionaries
for the matching path, query and body parameters (`fuzz/config.py`).
"""
from __future__ import annotations

import base64
import io
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import httpx
from PIL import Image, ImageDraw

API = "/api/v1"


def png(label: str, colour: tuple[int, int, int], size=(320, 400)) -> bytes:
    image = Image.new("RGB", size, (236, 233, 228))
    draw = ImageDraw.Draw(image)
    draw.rectangle([size[0] // 4, size[1] // 5, size[0] * 3 // 4, size[1] * 4 // 5], fill=colour)
    draw.text((10, size[1] - 24), label, fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class SeedError(RuntimeError):
    pass


class Client:
    """httpx against the running system; every answer must be a success (the seed is not fuzzing)."""

    def __init__(self, base_url: str, token: str | None = None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base_url + API, headers=headers, timeout=60)

    def call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, path, **kwargs)
        if response.status_code >= 300:
            raise SeedError(f"{method} {API}{path} -> {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def post(self, path, json=None, **kwargs):
        return self.call("POST", path, json=json, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)


def signup(base_url: str, email: str) -> tuple[str, str]:
    """A new user and its bearer token: (user id, token)."""
    password = secrets.token_urlsafe(18)
    anonymous = Client(base_url)
    user = anonymous.post("/users/signup", {"email": email, "password": password, "full_name": "Fuzz User"})
    token = anonymous.post("/login/access-token", data={"username": email, "password": password})["access_token"]
    return user["id"], token


class Seeder:
    def __init__(self, client: Client, ids: dict, retailer_url: str):
        self.client, self.ids, self.retailer_url = client, ids, retailer_url

    def add(self, kind: str, obj: dict) -> dict:
        self.ids[kind].append(obj["id"])
        return obj

    def media(self, org: str | None, label: str, colour) -> dict:
        files = {"file": (f"{label}.png", png(label, colour), "image/png")}
        media = self.client.post("/media-resources/", files=files, data={"alt_text": label}, params=_org(org))
        return self.add("media_resource", media)

    def catalog(self, org: str | None, tag: str) -> dict:
        """Shot types, subjects, products, presets, a set design and guidelines of one tenant."""
        c, post = {}, lambda path, body: self.client.post(path, body, params=_org(org))
        c["shot_types"] = [self.add("shot_type", post("/shot-types/", {
            "name": f"{tag} {name}", "view_angle": angle, "framing": "FULL_BODY", "file_naming_convention": "{sku}_x",
            "margins": {"top": 0.1, "bottom": 0.05}}))["id"] for name, angle in (("Front", "FRONT"), ("Back", "BACK"))]
        image = self.media(org, f"{tag} base", (150, 110, 90))
        c["subjects"] = [self.add("subject", post("/subjects/", {
            "name": f"{tag} {name}", "slug": f"{tag.lower().replace(' ', '-')}-{name.lower()}-{secrets.token_hex(3)}", "gender": gender,
            "ready": True, "base_images": [{"shot_type_id": st, "image_url": image["url"], "image_media_id": image["id"]}
                                           for st in c["shot_types"]],
            "measurements": {"height_cm": 175}}))["id"] for name, gender in (("Ava", "FEMALE"), ("Leo", "MALE"))]
        c["products"] = []
        for n, gender in enumerate(("FEMALE", "MALE", "UNISEX")):
            cover = self.media(org, f"{tag} product {n}", (40 + 60 * n, 90, 160))
            c["products"].append(self.add("product", post("/products/", {
                "name": f"{tag} product {n}", "sku": f"{tag.upper()}-{n}-{secrets.token_hex(2)}", "gender": gender,
                "placement": "TOP", "style_code": f"ST{n}", "colour": "#336699", "season": "FW26", "year": 2026,
                "cover_image_media_id": cover["id"], "brand_metadata": {"line": "core"}}))["id"])
        c["pose_preset"] = self.add("pose_preset", post("/pose-presets/", {
            "name": f"{tag} standing", "shot_type_id": c["shot_types"][0], "prompt": "standing"}))["id"]
        c["style"] = self.add("style", post("/styles/", {"name": f"{tag} studio", "prompt": "soft light"}))["id"]
        c["resolution"] = self.add("resolution_preset", post("/resolution-presets/", {
            "name": f"{tag} 4:5", "width": 800, "height": 1000}))["id"]
        c["background"] = self.add("background_preset", post("/background-presets/", {
            "name": f"{tag} white", "color": "#f5f5f5"}))["id"]
        c["set_design"] = self.add("set_design", post("/set-designs/", {
            "name": f"{tag} set", "background_preset_id": c["background"]}))["id"]
        c["guidelines"] = self.add("guidelines", post("/guidelines/", {
            "name": f"{tag} guidelines", "shot_type_ids": c["shot_types"], "subject_ids": c["subjects"],
            "pose_preset_ids": [c["pose_preset"]], "set_design_id": c["set_design"], "style_id": c["style"],
            "resolution_preset_id": c["resolution"], "background_preset_id": c["background"]}))["id"]
        return c

    def shooting(self, org: str | None, tag: str, catalog: dict) -> dict:
        """A shooting with a look per compatible (subject, product) pair and a shot per shot type; the
        first shot of each look gets revisions (the last approved), the looks outfits."""
        shooting = self.add("shooting", self.client.post("/shootings/", {
            "name": f"{tag} FW26", "due_date": (datetime.now(timezone.utc) + timedelta(days=30)).isoformat(),
            "season": "FW26", "organization_id": org, "default_guidelines_id": catalog["guidelines"]},
            params=_org(org)))
        looks = self.client.post(f"/shootings/{shooting['id']}/looks", {
            "product_ids": catalog["products"], "subject_ids": catalog["subjects"],
            "shot_type_ids": catalog["shot_types"], "pose_preset_ids": [catalog["pose_preset"]],
            "set_design_id": catalog["set_design"], "status": "READY"})
        look_ids = [look["id"] if isinstance(look, dict) else look for look in looks["looks"]]
        shots = []
        for look_id in look_ids:
            look = self.add("look", self.client.get(f"/shootings/looks/{look_id}"))
            for shot in look["shots"]:
                self.add("shot", shot)
                shots.append(shot["id"])
        image = base64.b64encode(png(f"{tag} revision", (90, 140, 90))).decode()
        approved = []
        for shot_id in shots[::2]:
            for status in ("PROPOSAL", "REVIEW"):
                self.add("revision", self.client.post(f"/shots/{shot_id}/revision", {
                    "shot_status": status, "images": [{"source_type": "UPLOAD", "image_data": image}]}))
            self.client.post(f"/shots/{shot_id}/approve")
            approved.append(shot_id)
        self.client.post("/outfits/", {"shooting_look_id": look_ids[0], "outfit_product_ids": catalog["products"][:1],
                                       "outfit_instruction": "layered"}, params=_org(org))
        self.client.post(f"/shootings/looks/{look_ids[1]}/outfit", {
            "outfit_product_ids": catalog["products"][1:2], "outfit_instruction": "tucked in"})
        if not self.ids["look_shooting"]:  # for paths naming a shooting and one of its looks
            self.ids["look_shooting"].append(shooting["id"])
            self.ids["shooting_look"] += look_ids
        return {"shooting": shooting["id"], "looks": look_ids, "shots": shots, "approved_shots": approved}

    def integration(self, org: str | None, tag: str, catalog: dict) -> str:
        integration = self.add("integration", self.client.post("/external-integrations/", {
            "name": f"{tag} OVS", "integration_type": "OVS", "endpoint_url": self.retailer_url,
            "credentials": "fuzz-token", "enabled": True}, params=_org(org)))
        for n, product in enumerate(catalog["products"]):
            self.add("mapping", self.client.post("/external-product-mappings/", {
                "product_id": product, "integration_id": integration["id"], "external_id": f"EXT{n}",
                "style_code": f"ST{n}", "colour_code": f"C{n}"}, params=_org(org)))
        return integration["id"]

    def activity(self, tree: dict) -> None:
        """An export (a push the worker sends to the fake retailer) and generations (the worker
        renders them into revisions)."""
        shot = self.client.get(f"/shots/{tree['approved_shots'][0]}")
        self.client.post(f"/shots/revisions/{shot['current_revision_id']}/export")
        self.client.post(f"/shootings/looks/{tree['looks'][0]}/start-generations", {"generations_per_shot_type": 1})


def _org(org: str | None) -> dict:
    return {"organization_id": org} if org else {}


@dataclass
class Seeded:
    """What a fuzz run works on: the fuzz user's token, its organization, and the ids by tenant
    (`personal`, `org`) and kind (`shooting`, `look`, ...), of the tree and of the victims."""

    token: str
    organization: str
    ids: dict[str, dict[str, list[str]]]
    victims: dict[str, dict[str, list[str]]]


def seed(base_url: str, retailer_url: str, label: str) -> Seeded:
    """Seed a fresh user, its organization and, in each tenant, a tree and victims."""
    suffix = secrets.token_hex(4)
    user_id, token = signup(base_url, f"fuzz-{label}-{suffix}@example.com")
    peer_id, _ = signup(base_url, f"fuzz-peer-{label}-{suffix}@example.com")
    client = Client(base_url, token)
    org = client.post("/organizations/", {"name": f"Fuzz {label}"})["id"]
    client.post(f"/organizations/{org}/members/", {"user_id": peer_id, "role": "MEMBER"})
    victim_org = client.post("/organizations/", {"name": f"Fuzz victim {label}"})["id"]
    client.post(f"/organizations/{victim_org}/members/", {"user_id": peer_id, "role": "MEMBER"})
    tenants = {"personal": None, "org": org}
    ids = {tenant: defaultdict(list, user=[user_id, peer_id], organization=[org]) for tenant in tenants}
    victims = {tenant: defaultdict(list, user=[peer_id], organization=[victim_org]) for tenant in tenants}
    for tenant, org_id in tenants.items():
        main, spare = Seeder(client, ids[tenant], retailer_url), Seeder(client, victims[tenant], retailer_url)
        tag = tenant.capitalize()
        catalog = main.catalog(org_id, tag)
        tree = main.shooting(org_id, tag, catalog)
        main.integration(org_id, tag, catalog)
        main.activity(tree)
        victim_catalog = spare.catalog(org_id, f"{tag} spare")
        spare.shooting(org_id, f"{tag} spare", victim_catalog)
        spare.integration(org_id, f"{tag} spare", victim_catalog)
    for tenant, org_id in tenants.items():
        _wait_for_worker(client, ids[tenant], {"organization_id": org_id} if org_id else {})
    return Seeded(token, org, {t: dict(v) for t, v in ids.items()}, {t: dict(v) for t, v in victims.items()})


def _wait_for_worker(client: Client, ids: dict, params: dict, timeout: float = 120) -> None:
    """Until the worker has done the seeded work of a tenant (generations and pushes out of
    PENDING), then record what it holds (generations, pushes, outfits, revisions)."""
    deadline = time.monotonic() + timeout

    def every(path: str) -> list[dict]:
        return client.get(path, params={**params, "limit": 1000})["data"]

    while True:
        generations, pushes = every("/generations/"), every("/external-image-pushes/")
        busy = [g for g in generations if g.get("status") in ("PENDING", "RUNNING")] + \
               [p for p in pushes if p.get("push_status") in ("PENDING", "IN_PROGRESS")]
        if not busy or time.monotonic() > deadline:
            break
        time.sleep(1)
    shots = set(ids["shot"])
    ids["generation"] = [g["id"] for g in generations if g.get("shot_id") in shots]
    ids["push"] = [p["id"] for p in pushes]
    looks = set(ids["look"])
    ids["outfit"] = [o["id"] for o in every("/outfits/") if o["shooting_look_id"] in looks]
    revisions = {r["id"] for s in every("/shots/") if s["id"] in shots for r in s["revisions"]}
    ids["revision"] = sorted(revisions | set(ids["revision"]))
