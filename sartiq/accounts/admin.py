from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.models import BaseInlineFormSet

from sartiq.accounts import services
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.models import Membership, Organization, User


class MembershipFormSet(BaseInlineFormSet):
    """The admin keeps the API's rule: an organization that has members keeps an owner."""

    def clean(self):
        super().clean()
        kept = [form.cleaned_data for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        had_members = self.instance.pk is not None and self.instance.memberships.exists()
        if (kept or had_members) and not any(data.get("role") == MembershipRole.OWNER for data in kept):
            raise ValidationError("An organization needs at least one owner")


class MembershipInline(admin.TabularInline):
    """Members are managed through the API's services (roles, the last owner); staff who are not
    superusers only read them here."""

    model = Membership
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class UserCreation(UserCreationForm):
    class Meta:
        model = User
        fields = ["email"]


class UserChange(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserChange
    add_form = UserCreation
    ordering = ["email"]
    list_display = ["email", "full_name", "is_active", "is_staff", "is_superuser", "created_at"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["created_at", "updated_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password", "full_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Dates", {"fields": ["last_login", "created_at", "updated_at"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]
    # Privileges are granted by superusers only: a staff member allowed to edit users must not be
    # able to make anyone (themselves included) a superuser.
    PRIVILEGES = ["is_staff", "is_superuser", "groups", "user_permissions"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else fields + self.PRIVILEGES

    def get_deleted_objects(self, objs, request):
        """Deleting a user who is an organization's last owner would leave it without one: the
        organizations are listed as protected, which stops the deletion (single and bulk)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected = list(protected) + [f"Organization {org.name}: its last owner (make someone else owner first)"
                                       for org in services.organizations_left_without_owner(objs)]
        return deleted, counts, perms_needed, protected

    def get_queryset(self, request):
        # Staff see themselves and the members of their organizations; superusers everyone.
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        mine = Organization.objects.filter(memberships__user=request.user)
        return queryset.filter(Q(pk=request.user.pk) | Q(memberships__organization__in=mine)).distinct()


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change):
        # The same lock as the membership services, so an admin edit and an API call of one
        # organization run one after the other (the formset checked the owners above).
        Organization.objects.select_for_update().filter(pk=form.instance.pk).first()
        super().save_related(request, form, formsets, change)

    def get_queryset(self, request):
        # Staff see the organizations they belong to; superusers all.
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else queryset.filter(memberships__user=request.user)
