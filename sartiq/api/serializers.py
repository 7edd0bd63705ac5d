"""Serializers shared by every app."""
from datetime import timezone as dt_timezone

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject


class MessageSerializer(serializers.Serializer):
    """`{"message": "..."}`, the answer of a DELETE (the reference's `Message`)."""

    message = serializers.CharField()

    class Meta:
        ref_name = "Message"


def _datetime(value):
    # As DRF's DateTimeField renders an aware datetime in UTC.
    value = value.astimezone(dt_timezone.utc).isoformat()
    return value[:-6] + "Z" if value.endswith("+00:00") else value


_CONVERTERS = [
    # (field class, converter of a non-null value); first match wins, so subclasses come first.
    (serializers.RegexField, str),
    (serializers.EmailField, str),
    (serializers.UUIDField, str),
    (serializers.DateTimeField, _datetime),
    (serializers.DateField, lambda value: value.isoformat()),
    (serializers.BooleanField, bool),
    (serializers.IntegerField, int),
    (serializers.FloatField, float),
    (serializers.JSONField, lambda value: value),
]


def _plain_converter(field):
    """A cheap converter for fields whose DRF rendering is a plain conversion, else None."""
    if type(field) is serializers.ChoiceField:
        return lambda value: field.choice_strings_to_values.get(str(value), value)
    if type(field) is serializers.CharField:
        return str
    for field_class, convert in _CONVERTERS:
        if type(field) is field_class:
            return convert
    return None


class ReadSerializer(serializers.ModelSerializer):
    """An output serializer that stays fast on large trees (a shooting with hundreds of looks).

    Each field is resolved once per serializer into a step: a plain attribute read with a cheap
    conversion (what DRF's field would do), a nested serializer, a list, or DRF's own path for
    everything else. With `memoize = True`, an object reached many times in one response (the
    same product in many outfits, the same shot type in every shot) is rendered once per request.
    The output is identical to DRF's (tests/test_read_serializer.py compares them).
    """

    memoize = False

    def _steps(self):
        steps = getattr(self, "_cached_steps", None)
        if steps is None:
            steps = []
            for field in self._readable_fields:
                simple = field.source != "*" and "." not in field.source
                if isinstance(field, serializers.ListSerializer) and simple:
                    steps.append((field.field_name, field.source, "many", field.child))
                elif isinstance(field, ReadSerializer) and simple:
                    steps.append((field.field_name, field.source, "one", field))
                elif simple and (convert := _plain_converter(field)) is not None:
                    steps.append((field.field_name, field.source, "plain", convert))
                else:
                    steps.append((field.field_name, None, "drf", field))
            self._cached_steps = steps
        return steps

    def to_representation(self, instance):
        memo = None
        if self.memoize:
            memo = self.context.setdefault("_read_memo", {})
            key = (type(self), instance.pk)
            if key in memo:
                return memo[key]
        data = {}
        for name, source, kind, helper in self._steps():
            if kind == "plain":
                value = getattr(instance, source)
                data[name] = None if value is None else helper(value)
            elif kind == "one":
                try:
                    value = getattr(instance, source)
                except ObjectDoesNotExist:  # a missing reverse one-to-one reads as null, as in DRF
                    value = None
                data[name] = None if value is None else helper.to_representation(value)
            elif kind == "many":
                value = getattr(instance, source)
                items = value.all() if hasattr(value, "all") else value
                data[name] = [helper.to_representation(item) for item in items]
            else:
                try:
                    attribute = helper.get_attribute(instance)
                except SkipField:
                    continue
                check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                data[name] = None if check is None else helper.to_representation(attribute)
        if memo is not None:
            memo[key] = data
        return data
