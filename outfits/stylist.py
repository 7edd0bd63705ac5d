"""The outfit stylist: the one module that decides (or asks an LLM) what a look's subject wears.

`get_stylist()` returns the configured implementation (setting `STYLIST`):
- `local` (default): deterministic rules: complementary placements, gender, season, brand;
- `llm`: an OpenAI-compatible chat-completions endpoint asked for JSON, validated; answers that
  are not valid are asked again, up to `LLM_MAX_ATTEMPTS`.
Both choose among the candidate products they are given (what the look's tenant may use).
The LLM is asked through the guarded outbound client (sartiq/outbound.py); its errors reach
tenants (an outfit proposal's error) as a status and a sanitized reason, never its raw answer.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

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
        chosen, reasons = [], []
        for placement in COMPLEMENTS.get(main.placement, COMPLEMENTS[None]):
            options = [c for c in request.candidates
                       if c.placement == placement and c.id != main.id and self._fits(c, request.subject_gender)]
            if not options:
                continue
            options.sort(key=lambda c: (-self._score(c, main), c.name, c.id))
            # Proposal n takes the n-th best option of each placement (wrapping): different outfits.
            pick = options[request.proposal_index % len(options)]
            chosen.append(pick.id)
            reasons.append(f"{pick.name} ({placement.lower().replace('_', ' ')})")
        instruction = f"Style the {main.name} with " + ", ".join(reasons) if reasons else f"Style the {main.name} on its own"
        if request.instructions:
            instruction += f". {request.instructions}"
        return Outfit(chosen, instruction[:1000])

    @staticmethod
    def _fits(candidate: Candidate, gender: str | None) -> bool:
        return candidate.gender == "UNISEX" or gender is None or candidate.gender == gender

    @staticmethod
    def _score(candidate: Candidate, main: Candidate) -> int:
        return (2 * (candidate.season is not None and candidate.season == main.season)
                + 2 * (candidate.brand is not None and candidate.brand == main.brand)
                + (candidate.colour is not None and candidate.colour != main.colour)
                + candidate.is_filler)


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
                "main product, choosing only among the candidate products. Answer with a JSON object "
                '{"product_ids": [ids of the chosen candidates], "instruction": "how to wear them, one sentence"}.')},
            {"role": "user", "content": json.dumps({
                "main_product": request.look_product.__dict__, "model_gender": request.subject_gender,
                "proposal_number": request.proposal_index + 1, "notes": request.instructions,
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
                if not unknown:
                    return Outfit(list(dict.fromkeys(answer.product_ids)), answer.instruction)
                problem = outbound.clean(f"the answer names products that are not candidates: {', '.join(unknown[:3])}")
            messages += [{"role": "assistant", "content": content},
                         {"role": "user", "content": f"That is not valid: {problem}. Answer again with the JSON only."}]
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
