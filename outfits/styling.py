"""Filling in one outfit proposal in a worker (the `outfits.style_outfit_proposal` task).

The same discipline as generations (shots/generation.py): a PENDING proposal is claimed with a
token and a lease in one UPDATE; a duplicate message finds it held (looks again after the lease)
or done; the result is written only while the token still holds, so it is written once.
"""
from __future__ import annotations

import logging
import uuid

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from outfits.choices import OutfitGenerationStatus
from outfits.models import Outfit, OutfitProduct
from outfits.stylist import (
    Candidate,
    PermanentStylistError,
    StylingRequest,
    TransientStylistError,
    get_stylist,
    repeats,
)
from sartiq.accounts import tenancy
from sartiq.catalog.models import Product
from sartiq.events.services import of_shooting, record
from sartiq.locking import lock_tree
from sartiq.work import Outcome, claim, release, stale

logger = logging.getLogger(__name__)
PENDING, COMPLETED, FAILED = OutfitGenerationStatus.PENDING, OutfitGenerationStatus.COMPLETED, OutfitGenerationStatus.FAILED
MAX_CANDIDATES = 200


def _candidate(product: Product) -> Candidate:
    return Candidate(id=str(product.pk), name=product.name, placement=product.placement, gender=product.gender,
                     season=product.season, brand=product.brand, colour=product.colour, is_filler=product.is_filler)


def proposal_claim(outfit_id) -> uuid.UUID | Outcome:
    return claim(Outfit.objects.filter(pk=outfit_id, generation_status=PENDING),
                 claimable=lambda now: Q(lease_until__isnull=True) | Q(lease_until__lt=now), held=Q())


def _held(outfit_id, token):
    return Outfit.objects.filter(pk=outfit_id, claim_token=token, generation_status=PENDING)


def proposal_style(*, outfit_id) -> Outcome:
    token = proposal_claim(outfit_id)
    if isinstance(token, Outcome):
        return token
    try:
        outfit = Outfit.objects.select_related("shooting_look__shooting", "shooting_look__product",
                                               "shooting_look__subject").get(pk=outfit_id)
        look = outfit.shooting_look
        if look.product is None:
            raise PermanentStylistError("The look has no product to style")
        position = list(Outfit.objects.filter(shooting_look=look, source=outfit.source)
                        .order_by("created_at", "id").values_list("pk", flat=True)).index(outfit.pk)
        shooting = look.shooting
        candidates = (tenancy.audience(Product.objects.all(), shooting.organization_id, shooting.owner_id)
                      .filter(enabled=True, archived=False).exclude(pk=look.product_id)
                      .order_by("name", "id")[:MAX_CANDIDATES])
        request = StylingRequest(look_product=_candidate(look.product),
                                 subject_gender=look.subject.gender if look.subject else None,
                                 candidates=[_candidate(p) for p in candidates], proposal_index=position,
                                 instructions=look.instructions, taken=_taken(look, outfit_id))
        result = get_stylist().propose(request)
        with transaction.atomic():
            lock_tree(_held(outfit_id, token))  # the shooting first (sartiq/locking.py)
            if not _held(outfit_id, token).select_for_update().exists():
                return Outcome("skipped")
            if repeats(result.product_ids, _taken(look, outfit_id)):
                # Another proposal of the look finished with these products while this one was
                # styled (proposals run in parallel): asked again, the stylist knows of it.
                raise TransientStylistError("Another proposal of this look got the same products meanwhile")
            OutfitProduct.objects.filter(outfit_id=outfit_id).delete()
            OutfitProduct.objects.bulk_create([OutfitProduct(outfit_id=outfit_id, product_id=pid, position=i)
                                               for i, pid in enumerate(result.product_ids)])
            release(_held(outfit_id, token), generation_status=COMPLETED, outfit_instruction=result.instruction,
                    generation_error=None)
            record("look.outfit_proposed", of_shooting(shooting, look_id=look.pk),
                   {"outfit_id": str(outfit_id), "source": outfit.source, "products": len(result.product_ids)})
        return Outcome("completed")
    except TransientStylistError as exc:
        release(_held(outfit_id, token), generation_error=str(exc)[:2000], retry_count=F("retry_count") + 1)
        return Outcome("transient", error=str(exc))
    except PermanentStylistError as exc:
        _fail(outfit_id, token, str(exc))
        return Outcome("failed", error=str(exc))
    except Outfit.DoesNotExist:
        return Outcome("skipped")
    except Exception as exc:
        logger.exception("outfit proposal %s failed", outfit_id)
        _fail(outfit_id, token, f"Internal error: {exc.__class__.__name__}: {exc}")
        return Outcome("failed", error=str(exc))


def _taken(look, outfit_id) -> list[list[str]]:
    """The product ids of the look's other outfits a new proposal must differ from: finished
    proposals and people's outfits (not the ones still PENDING or FAILED)."""
    others = (Outfit.objects.filter(shooting_look=look).exclude(pk=outfit_id)
              .exclude(generation_status__in=(PENDING, FAILED)).values_list("pk", flat=True))
    taken: dict = {pk: [] for pk in others}
    for outfit, product in OutfitProduct.objects.filter(outfit__in=list(taken)).values_list("outfit_id", "product_id"):
        taken[outfit].append(str(product))
    return list(taken.values())


def _fail(outfit_id, token, reason: str) -> None:
    release(_held(outfit_id, token), generation_status=FAILED, generation_error=reason[:2000])


@transaction.atomic
def proposal_give_up(outfit_id, reason: str) -> None:
    outfits = Outfit.objects.filter(pk=outfit_id, generation_status=PENDING, claim_token__isnull=True)
    lock_tree(outfits)  # the shooting first (sartiq/locking.py)
    outfits.update(generation_status=FAILED, generation_error=reason[:2000], updated_at=timezone.now())


def proposals_stale():
    return stale(Outfit.objects.filter(generation_status=PENDING), waiting=Q(claim_token__isnull=True),
                 running=Q(claim_token__isnull=False))
