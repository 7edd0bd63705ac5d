"""The outfit stylist: the one module that decides (or asks an LLM) what a look's subject wears.

`get_stylist()` returns the configured implementation (setting `STYLIST`):
- `local` (default): deterministic rules: complementary placements, gender, season, brand;
- `llm`: an OpenAI-compatible chat-completions endpoint asked for JSON, validated; answers that
  are not valid are asked again, up to `LLM_MAX_ATTEMPTS`.
Both choose among the candidate products they are given (what the look's tenant may use), and
the proposals of one look differ: each avoids the product sets the look's other outfits already
have (`taken`). When the candidates allow no other outfit, the proposal fails with
`NoDistinctOutfit`, which says how many distinct outfits there are and what would make more.
The LLM is asked through the guarded outbound client (sartiq/outbound.py); its errors reach
tenants (an outfit proposal's error) as a status and a sanitized reason, never its raw answer.
"""
from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field

import pydantic
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sartiq import outbound

# A chat completion of one outfit is a few kilobytes.
MAX_ANSWER_BYTES = 1024 * 1024


class StylistError(Exception):
    pass


class TransientStylistError(StylistError):
    """Timeouts, network errors, 5xx: worth retrying later."""


class PermanentStylistError(StylistError):
    """Refused or never valid: the proposal fails with this reason."""


class NoDistinctOutfit(PermanentStylistError):
    """Every outfit the candidates allow is already one of the look's: this proposal would repeat one."""


@dataclass
class Candidate:
    id: str
    name: str
    placement: str | None
    gender: str
    season: str | None
    brand: str | None
    colour: str | None
    is_filler: bool


@dataclass
class StylingRequest:
    look_product: Candidate
    subject_gender: str | None
    candidates: list[Candidate]
    proposal_index: int  # proposals of one look differ by index
    instructions: str = ""
    # The product ids of the look's other outfits (finished proposals, people's outfits): a new
    # proposal is none of them.
    taken: list[list[str]] = field(default_factory=list)

    def is_taken(self, product_ids) -> bool:
        return repeats(product_ids, self.taken)


def repeats(product_ids, taken: list[list[str]]) -> bool:
    """Are `product_ids` (in any order) the products of one of the outfits `taken`?"""
    return frozenset(product_ids) in {frozenset(ids) for ids in taken}


@dataclass
class Outfit:
    product_ids: list[str]
    instruction: str


# What goes with what (the look's product placement → placements to complete it with).
COMPLEMENTS = {
    "TOP": ["BOTTOM", "FOOTWEAR", "OUTERWEAR"],
    "BOTTOM": ["TOP", "FOOTWEAR", "OUTERWEAR"],
    "FULL_BODY": ["OUTERWEAR", "FOOTWEAR", "ACCESSORY"],
    "OUTERWEAR": ["TOP", "BOTTOM", "FOOTWEAR"],
    "FOOTWEAR": ["TOP", "BOTTOM", "ACCESSORY"],
    "ACCESSORY": ["TOP", "BOTTOM", "FOOTWEAR"],
    None: ["TOP", "BOTTOM", "FOOTWEAR"],
}


class LocalStylist:
    name = "local"

    def propose(self, request: StylingRequest) -> Outfit:
        main = request.look_product
        groups = []  # (placement, its fitting candidates, best first)
        for placement in COMPLEMENTS.get(main.placement, COMPLEMENTS[None]):
            options = [c for c in request.candidates
                       if c.placement == placement and c.id != main.id and self._fits(c, request.subject_gender)]
            options.sort(key=lambda c: (-self._score(c, main), c.name, c.id))
            groups.append((placement, options))
        filled = [(placement, options) for placement, options in groups if options]
        # Proposal n takes the n-th outfit of the sequence, or when the look has it already (a
        # person's outfit), the next one it has not: at most len(taken) + 1 to look at from n. The
        # outfits before n are the earlier proposals' (styled in parallel, they may not be done).
        index = request.proposal_index
        sequence = itertools.islice(_outfits([options for _, options in filled]), index, index + len(request.taken) + 1)
        combo = next((combo for combo in sequence if not request.is_taken([c.id for c in combo])), None)
        if combo is None:
            raise NoDistinctOutfit(_exhausted(groups, math.prod(len(options) for _, options in filled)))
        reasons = [f"{pick.name} ({placement.lower().replace('_', ' ')})" for (placement, _), pick in zip(filled, combo)]
        instruction = f"Style the {main.name} with " + ", ".join(reasons) if reasons else f"Style the {main.name} on its own"
        if request.instructions:
            instruction += f". {request.instructions}"
        return Outfit([pick.id for pick in combo], instruction[:1000])

    @staticmethod
    def _fits(candidate: Candidate, gender: str | None) -> bool:
        return candidate.gender == "UNISEX" or gender is None or candidate.gender == gender

    @staticmethod
    def _score(candidate: Candidate, main: Candidate) -> int:
        return (2 * (candidate.season is not None and candidate.season == main.season)
                + 2 * (candidate.brand is not None and candidate.brand == main.brand)
                + (candidate.colour is not None and candidate.colour != main.colour)
                + candidate.is_filler)


def _outfits(groups: list[list[Candidate]]):
    """Every outfit of one pick per group, each once: first the n-th best of each group together
    (n = 0, 1, ...: proposals that differ in every placement they can), then the other mixes."""
    sizes = [len(options) for options in groups]
    seen = set()
    for n in range(max(sizes, default=1)):
        picks = tuple(n % size for size in sizes)
        seen.add(picks)
        yield [options[i] for options, i in zip(groups, picks)]
    for picks in itertools.product(*(range(size) for size in sizes)):
        if picks not in seen:
            yield [options[i] for options, i in zip(groups, picks)]


def _exhausted(groups, distinct: int) -> str:
    """Why no other outfit can be made, and what would make one."""
    names = [placement.lower().replace("_", " ") for placement, _ in groups]
    counts = [f"{name}: {len(options) or 'none'}" for name, (_, options) in zip(names, groups)]
    made = (f"{distinct} distinct outfit{'s' if distinct != 1 else ''}" if any(options for _, options in groups)
            else "1 outfit (the product on its own)")
    return (f"No other distinct outfit for this look: the products that fit ({', '.join(counts)}) make {made}, "
            f"and the look already has {'it' if distinct == 1 else 'them'}. Add enabled products "
            f"({', '.join(names[:-1])} or {names[-1]}) that fit the subject to get more proposals.")


REPEATED = "the answer repeats the products of one of other_proposals"


class _Answer(pydantic.BaseModel):
    product_ids: list[str]
    instruction: str = pydantic.Field(max_length=1000)


class LLMStylist:
    """Chat completions (`POST {base_url}/chat/completions`) with a JSON response format."""

    name = "llm"

    def __init__(self, base_url: str, api_key: str, model: str, timeout: float = 60.0, max_attempts: int = 3):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.model, self.timeout, self.max_attempts = model, timeout, max_attempts

    def propose(self, request: StylingRequest) -> Outfit:
        allowed = {c.id for c in request.candidates}
        messages = [
            {"role": "system", "content": (
                "You are a fashion stylist for e-commerce photo shoots. Complete the outfit of a model wearing the "
                "main product, choosing only among the candidate products, and not the same products as any of "
                "other_proposals. Answer with a JSON object "
                '{"product_ids": [ids of the chosen candidates], "instruction": "how to wear them, one sentence"}.')},
            {"role": "user", "content": json.dumps({
                "main_product": request.look_product.__dict__, "model_gender": request.subject_gender,
                "proposal_number": request.proposal_index + 1, "notes": request.instructions,
                "other_proposals": request.taken,
                "candidates": [c.__dict__ for c in request.candidates],
            })},
        ]
        problem = "no answer"
        for _ in range(self.max_attempts):
            content = self._complete(messages)
            try:
                answer = _Answer.model_validate_json(content)
            except pydantic.ValidationError as exc:
                problem = f"the answer is not the JSON asked for ({exc.error_count()} errors)"
            else:
                unknown = [pid for pid in answer.product_ids if pid not in allowed]
                if unknown:
                    problem = outbound.clean(f"the answer names products that are not candidates: {', '.join(unknown[:3])}")
                elif request.is_taken(answer.product_ids):
                    problem = REPEATED
                else:
                    return Outfit(list(dict.fromkeys(answer.product_ids)), answer.instruction)
            messages += [{"role": "assistant", "content": content},
                         {"role": "user", "content": f"That is not valid: {problem}. Answer again with the JSON only."}]
        if problem == REPEATED:  # the last answer too: it knows no other outfit
            distinct = len({frozenset(ids) for ids in request.taken})
            raise NoDistinctOutfit(f"No other distinct outfit for this look: after {self.max_attempts} attempts the "
                                   f"stylist proposed only products the look's other outfits have ({distinct} "
                                   f"distinct found). Add products that fit the subject for more proposals.")
        raise PermanentStylistError(f"The stylist gave no valid outfit after {self.max_attempts} attempts: {problem}")

    def _complete(self, messages) -> str:
        body = {"model": self.model, "messages": messages, "response_format": {"type": "json_object"},
                "temperature": 0.4}
        response = outbound.checked(
            lambda: outbound.request("POST", self.url, json=body, headers=self.headers, timeout=self.timeout,
                                     max_bytes=MAX_ANSWER_BYTES),
            who="The stylist", transient=TransientStylistError, permanent=PermanentStylistError)
        try:
            return response.json()["choices"][0]["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError):
            return ""  # counted as an invalid answer by the caller


def _llm_stylist():
    return LLMStylist(settings.LLM_BASE_URL, settings.LLM_API_KEY, settings.LLM_MODEL,
                      timeout=settings.LLM_TIMEOUT, max_attempts=settings.LLM_MAX_ATTEMPTS)


# The values of the STYLIST setting (its accepted values, `settings.STYLISTS`, are these).
STYLISTS = {"local": LocalStylist, "llm": _llm_stylist}


def get_stylist():
    """The stylist STYLIST names; a name no stylist has is refused, never served by another."""
    if settings.STYLIST not in STYLISTS:
        raise ImproperlyConfigured(f"STYLIST={settings.STYLIST!r} is not understood: "
                                   f"accepted values are {', '.join(STYLISTS)}.")
    return STYLISTS[settings.STYLIST]()
