"""Serializers shared by every app."""
import copy

from rest_framework import serializers


class MessageSerializer(serializers.Serializer):
    """`{"message": "..."}`, the answer of a DELETE (the reference's `Message`)."""

    message = serializers.CharField()

    class Meta:
        ref_name = "Message"


def update_serializer(create_class):
    """The `*Update` twin of a `*Create` serializer: every field optional, no defaults.

    The reference's PUT and PATCH bodies (`ShootingUpdate`, `ShootingLookUpdate`...) change only
    the fields sent; deriving the update body keeps the two in step.
    """
    fields = {}
    for name, field in create_class._declared_fields.items():
        field = copy.deepcopy(field)
        field.required = False
        field.default = serializers.empty
        fields[name] = field
    name = create_class.__name__.replace("Create", "Update")
    return type(name, (create_class,), {**fields, "__doc__": f"Partial update: only the fields sent change."})
