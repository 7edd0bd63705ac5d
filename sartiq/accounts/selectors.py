"""Reads for organizations and memberships."""
from __future__ import annotations

from django.db.models import Count, OuterRef, Subquery

from sartiq.accounts.models import Membership, Organization


def organizations_for(user):
    """Organizations with the caller's role and the member count (two subqueries, one query)."""
    role = Membership.objects.filter(organization=OuterRef("pk"), user_id=user.pk).values("role")[:1]
    members = (
        Membership.objects.filter(organization=OuterRef("pk"))
        .order_by()
        .values("organization")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Organization.objects.annotate(role=Subquery(role), members_count=Subquery(members)).order_by("name", "id")


def memberships():
    return Membership.objects.select_related("user", "organization").order_by("created_at", "id")
