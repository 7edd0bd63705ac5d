"""Writes for outfits: manual outfits, the stylist's proposals, finalization."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import transaction

from outfits.choices import OutfitGenerationStatus, OutfitSource
from outfits.models import Outfit, OutfitProduct
from outfits.tasks import style_outfit_proposal
from sartiq.accounts import tenancy
from sartiq.catalog.models import Product
from sartiq.errors import BusinessRuleError, NotFound
from sartiq.events.services import of_shooting, record
from sartiq.locking import relock
from sartiq.media.references import MediaReferences


def _organization_of(look):
    return look.shooting.organization_id


def _outfit_rows(user, entries, **fields) -> list[tuple[Outfit, list[OutfitProduct], list]]:
    """Unsaved outfits for (look, ManualOutfitCreate-like data) entries of one shooting, with their
    product links and media. The references of all entries are checked in one query per kind;
    a reference image given by a URL of the project's storage is the media resource it names,
    checked as one given by id (`sartiq.media.references`)."""
    org = _organization_of(entries[0][0])
    datas = [data for _, data in entries]
    tenancy.get_many_usable(Product.objects, [pk for d in datas for pk in d.get("outfit_product_ids") or []], user,
                            org, "Product")
    references = MediaReferences(user, org)
    media_ids = [ref["media_resource_id"] for d in datas for ref in d.get("outfit_ref_imgs_urls") or []
                 if ref.get("media_resource_id")]
    media = {m.pk: m for m in references.by_ids(media_ids)}
    rows = []
    for look, data in entries:
        refs = data.get("outfit_ref_imgs_urls") or []
        chosen = []
        for index, ref in enumerate(refs):
            found = references.by_url_or_id(ref.get("url"), ref.get("media_resource_id"),
                                            field=("outfit_ref_imgs_urls", index, "url"),
                                            id_key="media_resource_id") if ref.get("url") else None
            chosen.append(found or media.get(ref.get("media_resource_id")))
        outfit = Outfit(id=uuid.uuid4(), shooting_look_id=look.pk, outfit_instruction=data.get("outfit_instruction"),
                        outfit_ref_imgs_urls=[ref.get("url") or m.url for ref, m in zip(refs, chosen)],
                        **fields)
        product_ids = list(dict.fromkeys(data.get("outfit_product_ids") or []))
        links = [OutfitProduct(outfit_id=outfit.pk, product_id=pk, position=i) for i, pk in enumerate(product_ids)]
        rows.append((outfit, links, list({m.pk: m for m in chosen if m is not None}.values())))
    return rows


def _save(rows) -> list[Outfit]:
    outfits = [outfit for outfit, _, _ in rows]
    Outfit.objects.bulk_create(outfits)
    OutfitProduct.objects.bulk_create([link for _, links, _ in rows for link in links])
    through = Outfit.outfit_ref_images_media.through
    through.objects.bulk_create([through(outfit_id=outfit.pk, mediaresource_id=m.pk) for outfit, _, media in rows
                                 for m in media])
    return outfits


def outfits_create_selected(*, user, looks_and_configs) -> None:
    """Give each look its configured outfit as THE outfit (look creation with configs)."""
    if not looks_and_configs:
        return
    outfits = _save(_outfit_rows(user, looks_and_configs))
    looks = []
    for (look, _), outfit in zip(looks_and_configs, outfits):
        look.outfit_id = outfit.pk
        looks.append(look)
    # The look is the container's row, written through its own model (outfits sit below shootings).
    type(looks[0]).objects.bulk_update(looks, ["outfit"])


def outfit_proposals_request(*, looks, count: int | None = None) -> list[uuid.UUID]:
    """Record `count` PENDING proposals per look; the stylist fills them in after commit."""
    count = count or settings.OUTFIT_PROPOSALS_PER_LOOK
    proposals = [Outfit(id=uuid.uuid4(), shooting_look_id=look.pk, source=OutfitSource.STYLIST,
                        generation_status=OutfitGenerationStatus.PENDING)
                 for look in looks for _ in range(count)]
    Outfit.objects.bulk_create(proposals)
    ids = [p.pk for p in proposals]
    transaction.on_commit(lambda: [style_outfit_proposal.delay(str(pk)) for pk in ids])
    return ids


def outfit_for_look(*, look, outfit_id) -> uuid.UUID | None:
    """Check that `outfit_id` is one of the look's outfits (400 otherwise) and return it."""
    if outfit_id is None:
        return None
    outfit = Outfit.objects.filter(pk=outfit_id).only("shooting_look_id").first()
    if outfit is None:
        raise NotFound("Outfit")
    if outfit.shooting_look_id != look.pk:
        raise BusinessRuleError("Outfit does not belong to this look")
    return outfit.pk


def _select(look, outfit: Outfit) -> None:
    """Make the outfit THE outfit of the look and delete the stylist's other proposals. Outfits
    people made (`POST /outfits/`, an earlier manual or finalized outfit, one configured at look
    creation) are kept, as proposals one may choose again: they are someone's work, the stylist's
    can be asked for again. (The reference deletes every other proposal; issue #17.)"""
    type(look).objects.filter(pk=look.pk).update(outfit_id=outfit.pk)
    Outfit.objects.filter(shooting_look=look, source=OutfitSource.STYLIST).exclude(pk=outfit.pk).delete()
    look.outfit_id = outfit.pk
    record("look.outfit_finalized", of_shooting(look.shooting, look_id=look.pk),
           {"outfit_id": str(outfit.pk), "source": outfit.source})


@transaction.atomic
def outfit_create_manual(*, user, look, data: dict):
    """A person's outfit becomes THE outfit of the look; the stylist's proposals are deleted."""
    look = relock(look)  # one choice of THE outfit at a time (sartiq/locking.py)
    tenancy.check_change(user, look)
    outfit = _save(_outfit_rows(user, [(look, data)], source=OutfitSource.MANUAL))[0]
    _select(look, outfit)
    return look


@transaction.atomic
def outfit_finalize(*, user, look, data: dict):
    """Option A: select one of the look's proposals (`outfit_id`). Option B: create a new outfit.
    Either way it becomes THE outfit; the stylist's other proposals are deleted, outfits people
    made are kept (`_select`). Two choices at once run one after the other (the second chose a
    proposal the first deleted: 404)."""
    look = relock(look)
    tenancy.check_change(user, look)
    if data.get("outfit_id"):
        outfit_id = outfit_for_look(look=look, outfit_id=data["outfit_id"])
        outfit = Outfit.objects.get(pk=outfit_id)
        if outfit.generation_status in (OutfitGenerationStatus.PENDING, OutfitGenerationStatus.FAILED):
            raise BusinessRuleError(f"Outfit proposal is {outfit.generation_status.lower()}, it cannot be finalized")
    else:
        outfit = _save(_outfit_rows(user, [(look, data)], source=OutfitSource.MANUAL))[0]
    _select(look, outfit)
    return look


@transaction.atomic
def outfit_create(*, user, look, data: dict) -> Outfit:
    """A manual proposal for a look (POST /outfits/): it joins the proposals, not selected."""
    look = relock(look)  # a delete of the look waits, or wins and this is a 404
    tenancy.check_change(user, look)
    outfit = _save(_outfit_rows(user, [(look, data)], source=OutfitSource.MANUAL))[0]
    record("look.outfit_proposed", of_shooting(look.shooting, look_id=look.pk),
           {"outfit_id": str(outfit.pk), "source": outfit.source, "products": len(set(data.get("outfit_product_ids") or []))})
    return outfit
