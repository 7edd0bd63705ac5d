"""Request shapes: each body and query of the API declared once, as a Pydantic model (path
parameters are all UUIDs, validated as such by the request phase).

The original service is FastAPI: its request models are Pydantic's, and so are its 422 bodies. A
`RequestModel` is that declaration here. It validates the request (the request phase of
`sartiq.api.views.ApiViewSet`), its errors are Pydantic's own (the reference's 422 entries),
drf-spectacular documents it (`sartiq.api.schema.RequestModelExtension`), the FastAPI oracle of the
tests declares its endpoints with it (`tests/fastapi_oracle.py`), and services receive its data as a
dict of the fields the client sent (`RequestModel.data()`). DRF keeps routing, authentication,
permissions and output.

A model is bound to the columns its fields are stored in (`db_model`, `columns`, `unbound`, as
`tests/test_input_columns.py` checks): a field accepts only what its column holds, and null only for
a nullable column or where the service gives null a meaning (`null_means`); null for any other
NOT NULL column is refused as `<field> cannot be null`, a `value_error` where Pydantic reports it.
"""
from __future__ import annotations

import copy
import datetime
import enum
import re
import typing
import uuid
from typing import Annotated, Any, ClassVar, Optional

import pydantic
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    WrapValidator,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from sartiq import json_values
from sartiq.api.validation import NUL_CHARACTERS, union_args

# --- field types ------------------------------------------------------------------------------------
# `Name`: a required string of a CharField(255) column; `Text`/`LongText`/`Url` the reference's
# optional `str | None` fields. Pydantic's `str` rejects a number and keeps the string as sent.


def _no_nul(value: str) -> str:
    """PostgreSQL cannot store a NUL character in text."""
    if "\x00" in value:
        raise ValueError(NUL_CHARACTERS)
    return value


def text(max_length: int | None, min_length: int | None = None) -> Any:
    """A string of at most `max_length` characters (None: any length), without NUL characters."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)]


def _no_boolean(message: str):
    """JSON's true/false is no number (the OpenAPI document says so; Pydantic would take it as 1/0)."""
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError(message)
        return value
    return BeforeValidator(check)


def int_range(ge: int | None = None, le: int | None = None) -> Any:
    """An integer within [ge, le]."""
    return Annotated[int, Field(ge=ge, le=le), _no_boolean("A valid integer is required.")]  # DRF's wording


def float_range(ge: float | None = None, le: float | None = None) -> Any:
    """A finite number (PostgreSQL would store NaN, and no JSON answer could carry it back)."""
    return Annotated[float, Field(ge=ge, le=le, allow_inf_nan=False), _no_boolean("A valid number is required.")]


def _iso(parse, message: str):
    """Dates as ISO 8601 text only, as the API has always read them: Pydantic would also take a
    number (a Unix time) or digits, which the OpenAPI document (`format: date-time`) does not
    allow. Pydantic's own errors first; then text `parse` cannot read is refused with `message`."""
    def check(value, handler):
        parsed = handler(value)
        if not isinstance(value, datetime.date) and (not isinstance(value, str) or parse(value) is None):
            raise ValueError(message)
        return parsed
    return WrapValidator(check)


def _aware(value: datetime.datetime) -> datetime.datetime:
    """A date-time in the server's time zone, as DRF's DateTimeField read it: one without offset is
    taken to be there, one with an offset converted (PostgreSQL refuses offsets beyond ±15:59,
    which Python and Pydantic take)."""
    zone = timezone.get_current_timezone()
    try:
        return value.astimezone(zone) if timezone.is_aware(value) else timezone.make_aware(value, zone)
    except OverflowError:
        raise ValueError("Datetime value out of range.") from None  # DRF's wording


def pattern(regex: str, message: str, schema: dict) -> Any:
    """Text matching `regex` (a blank one passes: its length constraint says whether it may be
    blank), refused with `message`; documented by `schema`."""
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if value and not compiled.search(value):
            raise ValueError(message)
        return value

    return (AfterValidator(check), WithJsonSchema(schema))


def with_aliases(choices: type[enum.Enum], aliases: dict[str, str]) -> Any:
    """An enum of `choices` that also reads the spellings of `aliases` (alias -> value), which
    answers never show (`JPEG` read as `JPG`): documented as an enum of both."""
    values = [member.value for member in choices]

    def read(value: Any) -> Any:
        return aliases.get(value, value) if isinstance(value, str) else value

    said = ", ".join(f"{alias} is read as {value}" for alias, value in aliases.items())
    spellings = [*values, *aliases]
    return Annotated[choices, BeforeValidator(read), WithJsonSchema({
        "type": "string", "enum": spellings, "maxLength": max(map(len, spellings)),
        "description": f"{', '.join(values)} ({said}; answers say {', '.join(dict.fromkeys(aliases.values()))})"})]


Name = text(255, 1)
Text = Optional[text(255)]
LongText = Optional[text(20000)]
Url = Optional[text(2000)]
UrlList = Annotated[list[text(2000, 1)], Field(max_length=200)]
UuidList = Annotated[list[uuid.UUID], Field(max_length=1000)]
# DRF's wording for text it could not read as a date, kept by the API.
DateTime = Annotated[datetime.datetime, _iso(parse_datetime, "Datetime has wrong format. Use one of these formats "
                                                             "instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."),
                     AfterValidator(_aware)]
Date = Annotated[datetime.date, _iso(parse_date, "Date has wrong format. Use one of these formats instead: "
                                                 "YYYY-MM-DD.")]
Float = float_range()
PositiveInt32 = int_range(0, 2**31 - 1)
# Free JSON a client stores (sartiq/json_values.py): bounded numbers, nesting and size.
JSONValue = Annotated[Any, AfterValidator(json_values.check_input)]
JSONObject = Annotated[dict[str, Any], AfterValidator(json_values.check_input)]


def secret(**kwargs) -> Any:
    """A field whose value a 422 never repeats (a password, an API key): `format: password`."""
    return Field(json_schema_extra={"format": "password", "writeOnly": True}, **kwargs)


def is_secret(field: FieldInfo) -> bool:
    extra = field.json_schema_extra
    return isinstance(extra, dict) and extra.get("format") == "password"


SECRET_MASK = "**********"  # how Pydantic shows a SecretStr


def mask_secrets(errors: list[dict], model: type[pydantic.BaseModel]) -> list[dict]:
    """Errors without the values of the model's secret fields (`sartiq.api.requests.secret`): a
    secret a client sent is never repeated, not even in a 422 about another field (a missing
    field's error repeats the whole body)."""
    names = {name for name, field in model.model_fields.items() if is_secret(field)}
    for entry in errors if names else []:
        if len(entry["loc"]) > 1 and entry["loc"][1] in names:
            entry["input"] = SECRET_MASK
        elif isinstance(entry.get("input"), dict):
            entry["input"] = {k: SECRET_MASK if k in names else v for k, v in entry["input"].items()}
    return errors


# --- the base model ---------------------------------------------------------------------------------
def _resolve(model, target: str) -> models.Field:
    """`field` of `model`, or `app_label.Model.field`."""
    if target.count(".") == 2:
        app_label, model_name, target = target.split(".")
        model = apps.get_model(app_label, model_name)
    return model._meta.get_field(target)


def accepts_null(field: FieldInfo) -> bool:
    return type(None) in union_args(field.annotation)


def is_nested(field: FieldInfo) -> bool:
    """A field holding a model, a list or free JSON (no single column)."""
    for arg in union_args(field.annotation):
        origin = typing.get_origin(arg) or arg
        if origin in (list, tuple, dict, Any) or (isinstance(origin, type) and issubclass(origin, BaseModel)):
            return True
    return False


class RequestModel(BaseModel):
    """A request body or query. Unknown keys are ignored, as Pydantic ignores them."""

    model_config = ConfigDict(extra="ignore")

    # The Django model the fields are stored in (None: nothing is stored as sent).
    db_model: ClassVar[Any] = None
    # field -> "column" or "app_label.Model.column", where the name differs.
    columns: ClassVar[dict[str, str]] = {}
    # Fields that are no column.
    unbound: ClassVar[tuple[str, ...]] = ()
    # Fields of NOT NULL columns where null means something to the service (`slug`: derive it).
    null_means: ClassVar[tuple[str, ...]] = ()
    # Computed: fields that accept null (the reference's `X | None`) for a NOT NULL column.
    null_refused: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs):
        super().__pydantic_init_subclass__(**kwargs)
        refused = set()
        for name, field in cls.model_fields.items():
            if is_nested(field) or not accepts_null(field) or name in cls.null_means:
                continue
            column = cls.column(name)
            if column is not None and not column.null:
                refused.add(name)
        cls.null_refused = frozenset(refused)

    @classmethod
    def column(cls, name: str) -> models.Field | None:
        """The column a field is stored in: `columns[name]`, the model's field of that name, or the
        foreign key `<name without _id>`; None when it is not a column."""
        if name in cls.unbound or cls.db_model is None:
            return None
        if name in cls.columns:
            return _resolve(cls.db_model, cls.columns[name])
        for candidate in (name, name[:-3] if name.endswith("_id") else None):
            if candidate is None:
                continue
            try:
                column = cls.db_model._meta.get_field(candidate)
            except FieldDoesNotExist:
                continue
            if column.concrete and not column.many_to_many:
                return column
        return None

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null_for_not_null_columns(cls, value, info):
        if value is None and info.field_name in cls.null_refused:
            raise ValueError(f"{info.field_name} cannot be null")
        return value

    def data(self) -> dict[str, Any]:
        """What a service receives: the fields sent, and those with a default other than None
        (a field defaulting to None is absent unless sent: the service keeps, or derives, its
        value). Nested models become dicts, enum members their values."""
        out = {}
        for name, field in type(self).model_fields.items():
            if name in self.model_fields_set:
                out[name] = _plain(getattr(self, name))
            elif field.default_factory is not None or field.default not in (None, PydanticUndefined):
                out[name] = _plain(field.get_default(call_default_factory=True))
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, RequestModel):
        return value.data()
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def partial(model: type[RequestModel], name: str | None = None, doc: str | None = None) -> type[RequestModel]:
    """The `*Update` twin of a `*Create` model: every field optional and absent unless sent.

    The reference's PUT and PATCH bodies (`ShootingUpdate`, `ProductUpdate`...) change only the
    fields sent; deriving the update body keeps the two in step. Validators carry over."""
    fields = {}
    for field_name, field in model.model_fields.items():
        field = copy.copy(field)
        field.default, field.default_factory = None, None
        fields[field_name] = (field.annotation, field)
    return pydantic.create_model(
        name or model.__name__.replace("Create", "Update"), __base__=model, __module__=model.__module__,
        __doc__=doc or "Partial update: only the fields sent change.", **fields,
    )
