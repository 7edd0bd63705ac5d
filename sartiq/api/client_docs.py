"""The API document's prose, written for a client developer: tags in workflow order, a summary and a
description per operation, and the errors a client can get.

Kept in one table keyed by "METHOD /path" (as the document lists operations) rather than taken from
view docstrings, which are written for the people who change the code; `AutoSchema.get_description`
returns nothing, and `postprocess_client_docs` fills the document from here. tests/test_openapi.py
fails when an operation has no entry, so a new endpoint cannot ship undocumented.
"""
from __future__ import annotations

# (name, one-line description), in the order a client meets them.
TAGS = [
    ("login", "Obtain a bearer token (OAuth2 password form) and check it."),
    ("users", "Sign up, read and change the caller's own account."),
    ("organizations", "Organizations and their members: resources shared by a team."),
    ("catalog", "What a shooting is made of: products, subjects, shot types, presets, guidelines, media files."),
    ("shootings", "A photo shoot session: its settings and the summary of its looks."),
    ("looks", "One subject wearing one outfit in a shooting; the stylist proposes outfits, then shots are generated."),
    ("outfits", "The products a look wears: the stylist's proposals and the one selected."),
    ("shots", "One image of a look in a shot type: generated, reviewed, approved or rejected."),
    ("revisions", "The successive images of a shot: generated or uploaded, one of them current."),
    ("generations", "Asynchronous image generations, to poll for status and progress, or cancel."),
    ("exports", "Downloads of approved images in the caller's export configuration, and pushes to retailers."),
    ("integrations", "Retailer integrations, product mappings and image pushes. The retailer confirms a push with "
                     "`POST /api/v1/integrations/{integration_id}/callback`, signed with the integration's callback "
                     "secret (Standard Webhooks; docs/integrations.md)."),
    ("events", "The events the caller may read, in commit order, with a cursor to catch up."),
    ("webhooks", "Endpoints that receive the events of an owner or organization, signed (Standard Webhooks)."),
    ("providers", "Which image engine an organization's generations use."),
]

_CATALOG = ("products", "subjects", "shot-types", "pose-presets", "set-designs", "guidelines", "styles",
            "resolution-presets", "background-presets", "media-resources")

# First matching prefix (after /api/v1) wins.
_TAG_RULES = [
    ("/login/", "login"),
    ("/users/", "users"),
    ("/organizations/{organization_id}/engine/", "providers"),
    ("/organizations/", "organizations"),
    *((f"/{resource}/", "catalog") for resource in _CATALOG),
    ("/shootings/{shooting_id}/looks", "looks"),
    ("/shootings/looks/", "looks"),
    ("/shootings/", "shootings"),
    ("/outfits/", "outfits"),
    ("/shots/revisions/{revision_id}/export/", "exports"),
    ("/shots/looks/{look_id}/export/", "exports"),
    ("/shots/{shot_id}/download/", "exports"),
    ("/export-configuration/", "exports"),
    ("/shots/revisions/", "revisions"),
    ("/shots/{shot_id}/revision/", "revisions"),
    ("/shots/", "shots"),
    ("/generations/", "generations"),
    ("/external-", "integrations"),
    ("/events/", "events"),
    ("/webhook-endpoints/", "webhooks"),
]


def tag_for(path: str) -> str | None:
    relative = path.removeprefix("/api/v1")
    return next((tag for prefix, tag in _TAG_RULES if relative.startswith(prefix)), None)


def organization_rule(plural: str) -> str:
    return (f"Without `organization_id`: the caller's personal {plural} (an empty list when they have none; "
            f"that is the contract, not an error). With `organization_id`: that organization's {plural}; "
            "the caller must be a member (403 otherwise).")


ORGANIZATION_SCOPE = ("Pass `organization_id` to act on an organization's resources (membership required); "
                      "without it the caller's personal resources are used.")

# path segment -> (singular, plural, what it is)
_CRUD = {
    "products": ("product", "products", "A garment or accessory to photograph. Set its cover by media id or URL."),
    "subjects": ("subject", "subjects", "A model who wears the looks, with portraits and base images per shot type."),
    "shot-types": ("shot type", "shot types", "A framing and view angle every look of a shooting is photographed in."),
    "pose-presets": ("pose preset", "pose presets", "A reusable pose for the subject of a shot."),
    "set-designs": ("set design", "set designs", "A reusable scene, with base and reference images."),
    "guidelines": ("guidelines", "guidelines", "A shooting's rules: shot types, file format (`JPG`, `PNG`...), "
                   "resolution and background."),
    "styles": ("style", "styles", "A styling direction the stylist follows when proposing outfits."),
    "resolution-presets": ("resolution preset", "resolution presets", "An output size for generated images."),
    "background-presets": ("background preset", "background presets", "A background for generated images."),
    "media-resources": ("media resource", "media resources", "A file in the project's storage. Create is a "
                        "multipart upload with `file`; media uploaded without `organization_id` are personal."),
    "external-integrations": ("integration", "integrations", "A retailer the approved images are pushed to. The "
                              "callback secret is shown once, when created or rotated."),
    "external-product-mappings": ("product mapping", "product mappings", "The retailer's item for one of "
                                  "your products: its style code, colour code and external id."),
    "webhook-endpoints": ("webhook endpoint", "webhook endpoints", "A URL that receives events, signed with the "
                          "endpoint's secret (shown once, when created or rotated); see docs/events.md."),
}


def _article(noun: str) -> str:
    return "" if noun.endswith("s") else ("an " if noun[0] in "aeiou" else "a ")


def _crud_entries() -> dict[str, tuple[str, str]]:
    entries = {}
    for segment, (one, many, what) in _CRUD.items():
        item = next(p for p in _ITEM_PATHS if p.startswith(f"/{segment}/"))
        a = _article(one)
        entries.update({
            f"GET /{segment}/": (f"List {many}", f"{what} {organization_rule(many)} Paginated with `skip` and `limit`."),
            f"POST /{segment}/": (f"Create {a}{one}", f"{what} {ORGANIZATION_SCOPE}"),
            f"GET {item}": (f"Read {a}{one}", f"One {one} by id; 404 when it does not exist or the caller may not see it."),
            f"PUT {item}": (f"Replace {a}{one}", f"Updates the {one} with the fields sent."),
            f"PATCH {item}": (f"Update {a}{one}", "Changes only the fields sent."),
            f"DELETE {item}": (f"Delete {a}{one}", f"Deletes the {one}."),
        })
    return entries


_ITEM_PATHS = [
    "/products/{product_id}/", "/subjects/{subject_id}/", "/shot-types/{shot_type_id}/",
    "/pose-presets/{pose_preset_id}/", "/set-designs/{set_design_id}/", "/guidelines/{guidelines_id}/",
    "/styles/{style_id}/", "/resolution-presets/{resolution_preset_id}/",
    "/background-presets/{background_preset_id}/", "/media-resources/{media_resource_id}/",
    "/external-integrations/{integration_id}/", "/external-product-mappings/{mapping_id}/",
    "/webhook-endpoints/{webhook_endpoint_id}/",
]

_HISTORY = ("The object's events, newest first (`skip`/`limit`), readable by whoever may read the object.")

OPERATIONS: dict[str, tuple[str, str]] = {
    **_crud_entries(),
    # login, users
    "POST /login/access-token/": ("Log in", "OAuth2 password flow: a form (`application/x-www-form-urlencoded`) "
                                  "with `username` (the e-mail) and `password`; answers a bearer token. Repeated "
                                  "failures are throttled (429 with `Retry-After`)."),
    "POST /login/test-token/": ("Check a token", "Answers the user the bearer token belongs to."),
    "POST /users/signup/": ("Sign up", "Creates an account with an e-mail and a password; then log in."),
    "GET /users/me/": ("Read my account", "The user the bearer token belongs to."),
    "PATCH /users/me/": ("Update my account", "Changes the caller's name or e-mail."),
    "PATCH /users/me/password/": ("Change my password", "Every token of the user stops working, this one "
                                  "included: log in again with the new password."),
    # organizations
    "GET /organizations/": ("List my organizations", "The organizations the caller is a member of "
                            "(superusers: all). No `organization_id` parameter: membership is the filter."),
    "POST /organizations/": ("Create an organization", "The caller becomes its owner."),
    "GET /organizations/{organization_id}/": ("Read an organization", "Members may read it."),
    "PUT /organizations/{organization_id}/": ("Replace an organization", "Owners and admins only."),
    "PATCH /organizations/{organization_id}/": ("Update an organization", "Owners and admins only."),
    "DELETE /organizations/{organization_id}/": ("Delete an organization", "Owners and admins only."),
    "GET /organizations/{organization_id}/members/": (
        "List members", "The members of the organization in the path, with their roles; membership required."),
    "POST /organizations/{organization_id}/members/": ("Add a member", "Owners and admins add a user (by id or "
                                                       "e-mail) with a role."),
    "PATCH /organizations/{organization_id}/members/{user_id}/": ("Change a member's role", "Owners and admins only."),
    "DELETE /organizations/{organization_id}/members/{user_id}/": ("Remove a member", "Owners and admins only."),
    "GET /organizations/{organization_id}/engine/": ("Read the image engine", "The engine the organization's "
                                                     "generations use (the default unless set); members read it."),
    "PUT /organizations/{organization_id}/engine/": ("Set the image engine", "Owners and admins choose the engine "
                                                     "for the organization's generations."),
    "DELETE /organizations/{organization_id}/engine/": ("Reset the image engine", "Back to the default engine."),
    # shootings
    "GET /shootings/": ("List shootings", f"{organization_rule('shootings')} Paginated with `skip` and `limit`."),
    "POST /shootings/": ("Create a shooting", f"With its guidelines, subject and settings. {ORGANIZATION_SCOPE}"),
    "GET /shootings/{shooting_id}/": ("Read a shooting", "The shooting with its looks."),
    "PUT /shootings/{shooting_id}/": ("Replace a shooting", "Updates the shooting with the fields sent."),
    "PATCH /shootings/{shooting_id}/": ("Update a shooting", "Changes only the fields sent."),
    "DELETE /shootings/{shooting_id}/": ("Delete a shooting", "Deletes the shooting with its looks and shots."),
    "GET /shootings/{shooting_id}/draft-summary/": ("Summarize a draft shooting", "What is still missing before "
                                                    "the shooting's looks can be generated."),
    "GET /shootings/{shooting_id}/history/": ("Shooting history", _HISTORY),
    "GET /shootings/{shooting_id}/review-report/": (
        "Review report of a shooting", "Per shot type and per engine/model: revisions generated, first-pass approval "
        "rate, rejections by reason, rework spent, and how often a FAILED (or PASSED) quality check was rejected."),
    "POST /external-integrations/{integration_id}/rotate-callback-secret/": (
        "Rotate an integration's callback secret", "A new `whsec_` secret, shown once in this answer; the previous "
        "one is still accepted for a grace period (WEBHOOK_SECRET_GRACE), so the retailer can switch without loss."),
    "GET /shootings/summary/": ("Summarize shootings", f"Counts of looks and shots per status. {organization_rule('shootings')}"),
    # looks
    "GET /shootings/{shooting_id}/looks/": ("List a shooting's looks", "The looks of the shooting in the path. "
                                            f"{organization_rule('looks')} Paginated with `skip` and `limit`."),
    "POST /shootings/{shooting_id}/looks/": ("Add a look", "A look starts in DRAFT; it leaves DRAFT when its outfit "
                                             "is finalized."),
    "GET /shootings/{shooting_id}/looks-summary/": ("Summarize a shooting's looks", "Each look with its computed "
                                                    f"status and shot counts. {organization_rule('looks')}"),
    "GET /shootings/{shooting_id}/looks/{look_id}/": ("Read a look", "One look of the shooting."),
    "PUT /shootings/{shooting_id}/looks/{look_id}/": ("Update a look", "Changes the look's settings."),
    "DELETE /shootings/{shooting_id}/looks/{look_id}/": ("Delete a look", "Deletes the look with its shots."),
    "GET /shootings/looks/{look_id}/": ("Read a look by id", "The look without its shooting's id in the path."),
    "POST /shootings/looks/{look_id}/outfit/": ("Propose outfits", "Starts the stylist: it proposes outfits from the "
                                                "catalog asynchronously; poll the look or list its outfits."),
    "POST /shootings/looks/{look_id}/finalize-outfit/": ("Finalize the outfit", "Selects one outfit for the look; "
                                                         "the look leaves DRAFT and its shots can be generated."),
    "POST /shootings/looks/{look_id}/start-generations/": ("Generate the look's shots", "Starts a generation for "
                                                           "each shot of the look; poll `/generations/`."),
    "POST /shootings/looks/{look_id}/start-shot-type-generations/": (
        "Generate one shot type", "Starts generations for the look's shots of one shot type."),
    # outfits
    "GET /outfits/": ("List outfits", f"Filter by look with `shooting_look_id`. {organization_rule('outfits')}"),
    "POST /outfits/": ("Add an outfit", "A user-made outfit for a look, beside the stylist's proposals."),
    "GET /outfits/{outfit_id}/": ("Read an outfit", "The outfit with its products."),
    # shots
    "GET /shots/": ("List shots", f"Filter by shooting, look, product, shot type or status. {organization_rule('shots')}"),
    "POST /shots/": ("Create a shot", "A shot of a look in a shot type."),
    "GET /shots/{shot_id}/": ("Read a shot", "The shot with its current revision and generations."),
    "PUT /shots/{shot_id}/": ("Replace a shot", "Updates the shot with the fields sent."),
    "PATCH /shots/{shot_id}/": ("Update a shot", "Changes only the fields sent."),
    "DELETE /shots/{shot_id}/": ("Delete a shot", "Answers the shot as it was."),
    "POST /shots/{shot_id}/approve/": ("Approve a shot", "Marks the current revision approved: it can then be "
                                       "downloaded, exported and pushed."),
    "POST /shots/{shot_id}/reject/": ("Reject a shot", "Sends the shot back for a new generation or upload."),
    "POST /shots/{shot_id}/generate/": ("Generate a shot", "Starts generations for the shot; answers the shot with "
                                        "the new generation ids to poll."),
    "GET /shots/{shot_id}/history/": ("Shot history", _HISTORY),
    # revisions
    "POST /shots/{shot_id}/revision/": ("Add a revision", "A new image for the shot from an uploaded key "
                                        "(see `upload-url`); it becomes the current revision."),
    "GET /shots/revisions/upload-url/": ("Get an upload URL", "A signed URL to PUT an image to, and the key to pass "
                                         "when adding the revision."),
    "GET /shots/revisions/{revision_id}/": ("Read a revision", "One image of a shot."),
    "DELETE /shots/revisions/{revision_id}/": ("Delete a revision", "The current revision cannot be deleted."),
    "POST /shots/revisions/{revision_id}/restore/": ("Restore a revision", "Restores a deleted revision."),
    "POST /shots/revisions/{revision_id}/set-current/": ("Make a revision current", "The shot shows this "
                                                         "revision from now on."),
    # generations
    "GET /generations/": ("List generations", f"To poll status and progress. {organization_rule('generations')}"),
    "GET /generations/{generation_id}/": ("Read a generation", "Status, progress, error and predictions."),
    "POST /generations/{generation_id}/cancel/": ("Cancel a generation", "Stops a pending or running generation; "
                                                  "a finished one is left as it is."),
    # exports
    "GET /export-configuration/": ("Read my export configuration", "Format and size of downloads; the default "
                                   "until changed. Returns `JPEG` for JPEG (`JPG` accepted on input)."),
    "PUT /export-configuration/": ("Set my export configuration", "Format and size of downloads."),
    "GET /shots/{shot_id}/download/": ("Download a shot", "The current revision's image in the caller's export "
                                       "configuration, as an attachment."),
    "POST /shots/revisions/{revision_id}/export/": ("Push a revision", "Pushes the revision to the look's retailer "
                                                    "integration; follow it in `/external-image-pushes/`."),
    "POST /shots/looks/{look_id}/export/": ("Push a look", "Pushes every approved shot of the look; answers how many "
                                            "pushes started and how many were skipped."),
    # integrations
    "GET /external-image-pushes/": ("List pushes", f"Pushes to retailers with every attempt. "
                                    f"{organization_rule('pushes')}"),
    "GET /external-image-pushes/{push_id}/": ("Read a push", "Status and attempts; the retailer confirms it through "
                                              "the integration's callback (docs/integrations.md)."),
    "POST /external-image-pushes/{push_id}/retry/": ("Retry a push", "Pushes a failed push again."),
    # events and webhooks
    "GET /events/": ("List events", f"In commit order; pass `after` (the last cursor seen) to catch up. "
                     f"{organization_rule('events')}"),
    "GET /webhook-endpoints/{webhook_endpoint_id}/deliveries/": (
        "List deliveries", "The endpoint's delivery attempts, newest first. "
        + organization_rule("endpoints' deliveries")),
    "POST /webhook-endpoints/{webhook_endpoint_id}/deliveries/{delivery_id}/retry/": (
        "Retry a delivery", "Sends a failed delivery again."),
    "POST /webhook-endpoints/{webhook_endpoint_id}/rotate-secret/": (
        "Rotate the signing secret", "Answers the new secret, shown this once."),
    "POST /webhook-endpoints/{webhook_endpoint_id}/test/": ("Send a test event", "Delivers a test event to the "
                                                            "endpoint now."),
}


def operation_key(method: str, path: str) -> str:
    return f"{method.upper()} {path.removeprefix('/api/v1')}"


_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}}}
ERRORS = {
    "400": "The request breaks a business rule (the detail says which and what to do).",
    "403": "The caller may not do this (not a member of the organization, or not an owner/admin).",
    "404": "No such resource, or the caller may not see it.",
    "409": "The request conflicts with the resource's state or a concurrent change; read it again and retry.",
    "429": "Too many attempts; retry after the `Retry-After` header's seconds.",
}
_THROTTLED = {"POST /login/access-token/", "POST /users/signup/"}


def error_codes(method: str, key: str, operation: dict) -> list[str]:
    """The errors a client can get from an operation (401 and 422: postprocess_validation_errors)."""
    params = {p.get("name"): p.get("in") for p in operation.get("parameters", ())}
    secured = bool(operation.get("security")) and {} not in operation["security"]
    codes = []
    if method != "get":
        codes.append("400")
    if secured:
        codes.append("403")
    if "path" in params.values() or "organization_id" in params:
        codes.append("404")
    if method != "get" and secured:
        codes.append("409")
    if key in _THROTTLED:
        codes.append("429")
    return codes


def postprocess_client_docs(result, generator, request, public):
    """Tags, summaries, descriptions and error responses from the tables above."""
    result["tags"] = [{"name": name, "description": description} for name, description in TAGS]
    result.setdefault("components", {}).setdefault("schemas", {}).setdefault("HTTPError", {
        "type": "object", "title": "HTTPError",
        "properties": {"detail": {"type": "string", "title": "Detail"}}, "required": ["detail"]})
    for path, path_item in result.get("paths", {}).items():
        for method, operation in path_item.items():
            if not isinstance(operation, dict):
                continue
            key = operation_key(method, path)
            tag = tag_for(path)
            if tag:
                operation["tags"] = [tag]
            if key in OPERATIONS:
                operation["summary"], operation["description"] = OPERATIONS[key]
            responses = operation.setdefault("responses", {})
            for code in error_codes(method, key, operation):
                responses.setdefault(code, {"description": ERRORS[code], **_ERROR})
    return result
