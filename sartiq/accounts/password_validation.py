"""A password validator for what Django's own let through: blank or repetitive passwords."""
from __future__ import annotations

from django.core.exceptions import ValidationError


class CharacterVarietyValidator:
    """Refuses passwords made only of whitespace (eight spaces pass every Django validator) or of
    fewer than `min_distinct` different characters (`aaaaaaaa`, `abababab`)."""

    def __init__(self, min_distinct: int = 5):
        self.min_distinct = min_distinct

    def validate(self, password: str, user=None) -> None:
        if not password.strip():
            raise ValidationError("This password is blank.", code="password_blank")
        if len(set(password)) < self.min_distinct:
            raise ValidationError(
                f"This password must contain at least {self.min_distinct} different characters.",
                code="password_too_repetitive",
                params={"min_distinct": self.min_distinct},
            )

    def get_help_text(self) -> str:
        return f"Your password must contain at least {self.min_distinct} different characters, not only spaces."
