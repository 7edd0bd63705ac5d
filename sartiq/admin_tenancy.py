"""The tenancy rule of the API, applied to the admin: staff see and change what they could
through the API (their own and their organizations' resources); superusers see everything.

Besides the lists and object permissions, the forms follow the rule too (issue 10): for staff who
are not superusers, every choice list and raw-id field offers and accepts only what the user may
see, every reference a form writes must be usable by the edited object's audience (as the API's
`tenancy.check_usable` decides), the owner is the user who creates the object, and an object's
organization is chosen among the user's organizations when it is created and not changed later
(moving a shooting is `shootings/transfer.py`'s job).
"""
from django.db.models import Q

from sartiq.accounts import tenancy
from sartiq.accounts.models import Organization, User
from sartiq.errors import DomainError

TENANT_FIELDS = ("owner", "organization")


def _is_tenant_model(model) -> bool:
    return hasattr(model, "tenant_path")


def limit_choices(request, db_field, kwargs: dict) -> dict:
    """The queryset of a relation's form field, cut to what a non-superuser may pick."""
    user = request.user
    if user.is_superuser:
        return kwargs
    related = db_field.related_model
    mine = Organization.objects.filter(memberships__user=user)
    if related is Organization:
        kwargs["queryset"] = mine
    elif related is User:
        kwargs["queryset"] = User.objects.filter(Q(pk=user.pk) | Q(memberships__organization__in=mine)).distinct()
    elif _is_tenant_model(related):
        kwargs["queryset"] = tenancy.visible(related._default_manager.all(), user)
    return kwargs


def check_form_references(user, form, obj) -> None:
    """Add a form error for each changed reference that `obj`'s audience may not use (or, for the
    field leading to `obj`'s tenant, that the user may not change)."""
    if user.is_superuser or not hasattr(form, "cleaned_data"):
        return
    model = type(obj)
    first_hop = (getattr(model, "tenant_path", "") or "").split("__")[0]
    try:
        organization_id = tenancy.tenant_of(obj).organization_id
    except Exception:  # the parent is missing: the form's own validation reports it
        return
    fields = {f.name: f for f in model._meta.get_fields() if f.is_relation and not f.auto_created}
    for name in form.changed_data:
        field = fields.get(name)
        if field is None or name in TENANT_FIELDS or not _is_tenant_model(field.related_model):
            continue
        if name not in form.cleaned_data:  # refused by the field itself (not a choice offered)
            continue
        value = form.cleaned_data.get(name)
        refs = list(value) if field.many_to_many else [value]
        thing = str(field.verbose_name).capitalize()
        for ref in refs:
            if ref is None:
                continue
            try:
                if name == first_hop:
                    tenancy.check_change(user, ref)
                else:
                    tenancy.check_usable(user, ref, organization_id, thing)
            except DomainError as error:
                form.add_error(name, error.message)
                break


class _TenantFormsMixin:
    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(db_field, request, **limit_choices(request, db_field, kwargs))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(db_field, request, **limit_choices(request, db_field, kwargs))


class TenantAdminMixin(_TenantFormsMixin):
    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if request.user.is_superuser else tenancy.visible(queryset, request.user)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or tenancy.can_view(request.user, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or tenancy.can_change(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or tenancy.can_change(request.user, obj))

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            names = {f.name for f in self.model._meta.get_fields()}
            locked = ["owner"] if obj is None else list(TENANT_FIELDS)
            fields += [name for name in locked if name in names and name not in fields]
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form_class = super().get_form(request, obj, **kwargs)
        user = request.user

        class TenantForm(form_class):
            def _post_clean(self):
                super()._post_clean()
                fields = {f.name for f in self.instance._meta.get_fields()}
                if not user.is_superuser and "owner" in fields and self.instance.owner_id is None:
                    self.instance.owner = user
                check_form_references(user, self, self.instance)

        TenantForm.__name__ = form_class.__name__
        return TenantForm


class TenantInlineMixin(_TenantFormsMixin):
    """Inlines follow the same rule; their rows belong to the parent's audience."""

    def get_formset(self, request, obj=None, **kwargs):
        formset_class = super().get_formset(request, obj, **kwargs)
        user = request.user

        class TenantFormSet(formset_class):
            def _construct_form(self, i, **kwargs):
                form = super()._construct_form(i, **kwargs)
                setattr(form.instance, self.fk.name, self.instance)  # the (maybe unsaved) parent, for its tenant
                return form

            def clean(self):
                super().clean()
                for form in self.forms:
                    if form.has_changed() and not self._should_delete_form(form):
                        check_form_references(user, form, form.instance)

        return TenantFormSet
