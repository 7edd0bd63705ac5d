from __future__ import annotations

from rest_framework import parsers, permissions

from sartiq.accounts import selectors, services, tenancy
from sartiq.accounts.api import requests as r
from sartiq.accounts.api import serializers as s
from sartiq.accounts.api.throttles import AuthAddressThrottle
from sartiq.accounts.models import Membership, Organization
from sartiq.api.auth import create_access_token
from sartiq.api.parsers import MultiPartParser
from sartiq.api.serializers import MessageSerializer
from sartiq.api.views import ApiViewSet, ListMixin, RetrieveMixin
from sartiq.errors import NotFound


class LoginViewSet(ApiViewSet):
    """OAuth2 password flow: a form with `username` (the e-mail) and `password`."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [AuthAddressThrottle]
    parser_classes = [parsers.FormParser, MultiPartParser]
    body_models = {"access_token": r.LoginForm}
    response_serializers = {"access_token": s.TokenSerializer}
    operation_ids = {"access_token": "login-access_token"}

    def access_token(self, request):
        user = services.user_authenticate(email=self.body["username"], password=self.body["password"])
        token, expires_in = create_access_token(user)
        return self.respond({"access_token": token, "token_type": "bearer", "expires_in": expires_in}, s.TokenSerializer)


class TestTokenViewSet(ApiViewSet):
    response_serializers = {"test_token": s.UserPublicSerializer}
    operation_ids = {"test_token": "login-test_token"}

    def test_token(self, request):
        return self.respond(request.user, s.UserPublicSerializer)


class SignupViewSet(ApiViewSet):
    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [AuthAddressThrottle]
    body_models = {"signup": r.UserRegister}
    response_serializers = {"signup": s.UserPublicSerializer}
    operation_ids = {"signup": "users-register_user"}

    def signup(self, request):
        return self.respond(services.user_create(**self.body), s.UserPublicSerializer)


class MeViewSet(ApiViewSet):
    body_models = {"update": r.UserUpdateMe, "password": r.UpdatePassword}
    response_serializers = {"retrieve": s.UserPublicSerializer, "update": s.UserPublicSerializer,
                            "password": MessageSerializer}

    def retrieve(self, request):
        return self.respond(request.user, s.UserPublicSerializer)

    def update(self, request):
        return self.respond(services.user_update(user=request.user, data=self.body), s.UserPublicSerializer)

    def password(self, request):
        """The contract's answer; every token of the user, this one included, stops working: the
        client logs in again with the new password."""
        services.user_change_password(user=request.user, **self.body)
        return self.respond({"message": "Password updated successfully"}, MessageSerializer)


class IsMember(permissions.BasePermission):
    def has_object_permission(self, request, view, obj) -> bool:
        return tenancy.is_member(request.user, obj.pk)


class OrganizationViewSet(ListMixin, RetrieveMixin, ApiViewSet):
    """Organizations the caller belongs to (superusers: all). Owners and admins change them."""

    not_found = "Organization"
    lookup_url_kwarg = "organization_id"
    tenant_scoped = False
    permission_classes = [permissions.IsAuthenticated, IsMember]
    serializer_class = s.OrganizationPublicSerializer
    list_component_name = "OrganizationsPublic"
    body_models = {
        "create": r.OrganizationCreate,
        "update": r.OrganizationUpdate,
        "partial_update": r.OrganizationUpdate,
    }
    response_serializers = {"destroy": MessageSerializer}

    queryset = Organization.objects.none()  # for the schema generator; requests use the selector

    def get_queryset(self):
        return selectors.organizations_for(self.request.user)

    def get_list_queryset(self):
        queryset = self.get_queryset()
        if not self.request.user.is_superuser:
            queryset = queryset.filter(memberships__user_id=self.request.user.pk)
        return queryset

    def create(self, request):
        return self.respond(self.refetch(services.organization_create(user=request.user, **self.body)))

    def update(self, request, **kwargs):
        organization = services.organization_update(user=request.user, organization=self.get_object(), data=self.body)
        return self.respond(self.refetch(organization))

    def partial_update(self, request, **kwargs):
        return self.update(request, **kwargs)

    def destroy(self, request, **kwargs):
        services.organization_delete(user=request.user, organization=self.get_object())
        return self.respond({"message": "Organization deleted successfully"}, MessageSerializer)


class MembershipViewSet(ListMixin, ApiViewSet):
    """Members of one organization: members read the list, owners and admins manage it."""

    not_found = "Member"
    tenant_scoped = False
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = s.MembershipPublicSerializer
    list_component_name = "MembershipsPublic"
    body_models = {"create": r.MembershipCreate, "update": r.MembershipUpdate}
    response_serializers = {"destroy": MessageSerializer}

    def organization(self):
        organization = selectors.organizations_for(self.request.user).filter(pk=self.path["organization_id"]).first()
        if organization is None:
            raise NotFound("Organization")
        tenancy.require_member(self.request.user, organization.pk)
        return organization

    def get_queryset(self):
        return selectors.memberships()

    def get_list_queryset(self):
        return self.get_queryset().filter(organization=self.organization())

    def membership(self) -> Membership:
        membership = self.get_queryset().filter(organization=self.organization(), user_id=self.path["user_id"]).first()
        if membership is None:
            raise NotFound("Member")
        return membership

    def create(self, request, **kwargs):
        membership = services.membership_add(actor=request.user, organization=self.organization(), **self.body)
        return self.respond(self.refetch(membership))

    def update(self, request, **kwargs):
        membership = services.membership_update(actor=request.user, membership=self.membership(), **self.body)
        return self.respond(self.refetch(membership))

    def destroy(self, request, **kwargs):
        services.membership_remove(actor=request.user, membership=self.membership())
        return self.respond({"message": "Member removed successfully"}, MessageSerializer)
