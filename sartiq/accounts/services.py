"""Writes for users, organizations and memberships."""
from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction

from sartiq.accounts import tenancy, throttling
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization, User
from sartiq.errors import BusinessRuleError, Conflict, NotFound, PermissionDenied
from sartiq.services import model_update


def user_create(*, email: str, password: str, full_name: str | None = None, **extra) -> User:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise BusinessRuleError("The user with this email already exists in the system")
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password, full_name=full_name, **extra)
    except IntegrityError:  # a concurrent signup with the same address
        raise BusinessRuleError("The user with this email already exists in the system")


def user_authenticate(*, email: str, password: str) -> User:
    """The user for these credentials, or 400 as the original answers; 429 after too many failures
    for this address (known or not: the same answer, checked before the password).

    An unknown address costs one password hash too (as Django's ModelBackend does), so the answer's
    timing does not tell which addresses have an account."""
    throttling.require_account_unthrottled(email)
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        User().set_password(password)
    if user is None or not user.check_password(password):
        throttling.record_login_failure(email)
        raise BusinessRuleError("Incorrect email or password")
    throttling.forget_login_failures(email)
    if not user.is_active:
        raise BusinessRuleError("Inactive user")
    return user


@transaction.atomic
def user_update(*, user: User, data: dict) -> User:
    if "email" in data:
        email = data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise Conflict("User with this email already exists")
        user.email = email
    if "full_name" in data:
        user.full_name = data["full_name"]
    try:
        with transaction.atomic():  # the same address taken at the same moment
            user.save()
    except IntegrityError:
        raise Conflict("User with this email already exists")
    return user


def user_change_password(*, user: User, current_password: str, new_password: str) -> User:
    """Sets the new password (validated by the request's serializer) and so ends every token of the
    user, the caller's too. Wrong current passwords count as failed logins of the account."""
    throttling.require_account_unthrottled(user.email)
    if not user.check_password(current_password):
        throttling.record_login_failure(user.email)
        raise BusinessRuleError("Incorrect password")
    if current_password == new_password:
        raise BusinessRuleError("New password cannot be the same as the current one")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    return user


@transaction.atomic
def organization_create(*, user: User, name: str) -> Organization:
    organization = Organization.objects.create(name=name)
    Membership.objects.create(user=user, organization=organization, role=MembershipRole.OWNER)
    tenancy.forget_organization_roles(user)
    return organization


def _require_admin(user: User, organization: Organization) -> None:
    if not tenancy.is_admin_of(user, organization.pk):
        raise PermissionDenied()


@transaction.atomic
def organization_update(*, user: User, organization: Organization, data: dict) -> Organization:
    organization = _lock(organization)
    tenancy.forget_organization_roles(user)
    _require_admin(user, organization)
    model_update(organization, data)
    organization.save()
    return organization


@transaction.atomic
def organization_delete(*, user: User, organization: Organization) -> None:
    organization = _lock(organization)
    tenancy.forget_organization_roles(user)
    if not (user.is_superuser or tenancy.organization_roles(user).get(organization.pk) == MembershipRole.OWNER):
        raise PermissionDenied()
    organization.delete()


@transaction.atomic
def membership_add(*, actor: User, organization: Organization, user_id: uuid.UUID | None = None,
                   email: str | None = None, role: str = MembershipRole.MEMBER) -> Membership:
    organization = _lock(organization)
    tenancy.forget_organization_roles(actor)
    _require_admin(actor, organization)
    if role == MembershipRole.OWNER and not (
        actor.is_superuser or tenancy.organization_roles(actor).get(organization.pk) == MembershipRole.OWNER
    ):
        raise PermissionDenied()
    if user_id is not None:
        member = User.objects.filter(pk=user_id).first()
    else:
        member = User.objects.filter(email__iexact=(email or "").strip()).first()
    if member is None:
        raise NotFound("User")
    membership, created = Membership.objects.get_or_create(user=member, organization=organization, defaults={"role": role})
    if not created:
        raise BusinessRuleError("The user is already a member of this organization")
    return membership


def _lock(organization: Organization) -> Organization:
    """Lock the organization's row until the transaction ends: membership changes and the
    organization's own changes of one organization then run one after the other, so each sees the
    owners the previous left (two owners leaving at once used to leave none)."""
    locked = Organization.objects.select_for_update().filter(pk=organization.pk).first()
    if locked is None:  # deleted meanwhile
        raise NotFound("Organization")
    return locked


def _locked_membership(membership: Membership) -> tuple[Organization, Membership]:
    """The organization locked, then the membership as it is now (it may have changed or gone)."""
    organization = _lock(membership.organization)
    current = Membership.objects.filter(pk=membership.pk).first()
    if current is None:
        raise NotFound("Member")
    current.organization = organization
    return organization, current


def organizations_left_without_owner(users) -> list[Organization]:
    """The organizations that would have no owner if `users` went away (deleting users in the admin)."""
    user_ids = [user.pk for user in users]
    owned = Organization.objects.filter(memberships__user_id__in=user_ids, memberships__role=MembershipRole.OWNER)
    return [organization for organization in owned.distinct()
            if not organization.memberships.filter(role=MembershipRole.OWNER).exclude(user_id__in=user_ids).exists()]


def _owners_left(organization: Organization, excluding: Membership) -> int:
    return organization.memberships.filter(role=MembershipRole.OWNER).exclude(pk=excluding.pk).count()


@transaction.atomic
def membership_update(*, actor: User, membership: Membership, role: str) -> Membership:
    organization, membership = _locked_membership(membership)
    tenancy.forget_organization_roles(actor)  # the actor's role as of the lock
    _require_admin(actor, organization)
    is_owner = actor.is_superuser or tenancy.organization_roles(actor).get(organization.pk) == MembershipRole.OWNER
    if MembershipRole.OWNER in (role, membership.role) and not is_owner:
        raise PermissionDenied()
    if membership.role == MembershipRole.OWNER and role != MembershipRole.OWNER and not _owners_left(organization, membership):
        raise BusinessRuleError("An organization needs at least one owner")
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Admins remove members; anyone may leave. The last owner can do neither."""
    organization, membership = _locked_membership(membership)
    tenancy.forget_organization_roles(actor)  # the actor's role as of the lock
    if membership.user_id != actor.pk:
        _require_admin(actor, organization)
        if membership.role == MembershipRole.OWNER and not (
            actor.is_superuser or tenancy.organization_roles(actor).get(organization.pk) == MembershipRole.OWNER
        ):
            raise PermissionDenied()
    if membership.role == MembershipRole.OWNER and not _owners_left(organization, membership):
        raise BusinessRuleError("An organization needs at least one owner")
    membership.delete()
