"""The catalog's admins write through the catalog services (issue 12): every add, edit, delete and
bulk delete, inlines included, calls `resource_create`/`resource_update`/`resource_delete`, so the
admin gets the API's rules (references usable by the resource's tenant, only superusers publish,
storage URLs only where a media twin takes them); a refusal is an error message and changes
nothing; tenant fields are not edited."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import pytest
from django.contrib import admin as django_admin
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.urls import reverse

from sartiq import resources
from sartiq.accounts.choices import MembershipRole
from sartiq.accounts.tests.factories import MembershipFactory, UserFactory
from sartiq.admin_services import ServiceInlineMixin
from sartiq.catalog import models
from sartiq.catalog import services as catalog_services
from sartiq.catalog.api import requests
from sartiq.catalog.tests import factories as f
from sartiq.errors import Conflict
from sartiq.media.tests.factories import MediaResourceFactory

pytestmark = pytest.mark.django_db

CATALOG = ["subject", "product", "shottype", "posepreset", "setdesign", "shootingguidelines", "style",
           "resolutionpreset", "backgroundpreset", "subjectbaseimage", "subjectmeasurements", "setbaseimage",
           "setreferenceimage", "subjectportrait"]
OUTSIDE = "https://cdn.example.com/picture.png"


# --- fixtures -------------------------------------------------------------------------------------
@pytest.fixture
def staff(org):
    """A staff member of `org`, not a superuser, with every right on the catalog."""
    member = UserFactory(is_staff=True)
    MembershipFactory(user=member, organization=org, role=MembershipRole.ADMIN)
    member.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="catalog", codename__in=[f"{verb}_{model}" for model in CATALOG
                                                         for verb in ("view", "add", "change", "delete")]))
    return member


@pytest.fixture
def as_staff(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def as_superuser(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def theirs(other_user):
    org = MembershipFactory(user=other_user, role=MembershipRole.OWNER).organization
    return {"org": org, "media": MediaResourceFactory(owner=other_user, organization=org),
            "shot_type": f.ShotTypeFactory(owner=other_user, organization=org)}


@pytest.fixture
def ours(user, org):
    return {"media": MediaResourceFactory(owner=user, organization=org),
            "shot_type": f.ShotTypeFactory(owner=user, organization=org, name="Our angle"),
            "subject": f.SubjectFactory(owner=user, organization=org),
            "background": f.BackgroundPresetFactory(owner=user, organization=org)}


@pytest.fixture
def calls(monkeypatch):
    """The resource services called, as (service, model name)."""
    seen = []

    def spy(name, original):
        def call(*args, **kwargs):
            target = kwargs.get("instance") or (args[0].model if args else None)
            seen.append((name, getattr(target, "__name__", type(target).__name__)))
            return original(*args, **kwargs)
        return call

    for name in ("resource_create", "resource_update", "resource_delete"):
        monkeypatch.setattr(resources, name, spy(name, getattr(resources, name)))
    # subject_create calls it by the name it imported
    monkeypatch.setattr(catalog_services, "resource_create", resources.resource_create)
    return seen


# --- helpers --------------------------------------------------------------------------------------
def url(obj_or_model, action="change"):
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    args = [] if action in ("add", "changelist") else [obj_or_model.pk]
    return reverse(f"admin:catalog_{model._meta.model_name}_{action}", args=args)


def shown(client, page: str) -> dict:
    """The POST body of an admin add or change page as shown: each field's value, each inline's
    management form and rows."""
    response = client.get(page)
    assert response.status_code == 200, response
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(name): str(management[name].value()) for name in management.fields})
        forms += inline.formset.forms
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            keys = [form.add_prefix(name)] + ([form.add_initial_prefix(name)] if field.show_hidden_initial else [])
            for key in keys:
                if value is True:
                    data[key] = "on"
                elif isinstance(value, list):
                    data[key] = [str(v) for v in value]
                elif value is not None and value is not False:  # 0 is a value (0 == False)
                    data[key] = str(value)
    return data


def add_row(data: dict, prefix: str, **fields) -> dict:
    n = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(n + 1)
    data.update({f"{prefix}-{n}-{name}": str(value) for name, value in fields.items()})
    return data


def state(obj) -> tuple:
    """The row and its children, to compare before and after."""
    model = type(obj)
    children = [sorted(map(str, getattr(obj, rel.get_accessor_name()).values_list("pk", flat=True)))
                for rel in model._meta.related_objects if rel.one_to_many and rel.related_model.__module__ == models.__name__
                and getattr(rel.related_model, "tenant_path", "") == rel.field.name]
    m2m = [sorted(map(str, getattr(obj, m.name).values_list("pk", flat=True))) for m in model._meta.many_to_many]
    measurements = (list(models.SubjectMeasurements.objects.filter(subject=obj).values())
                    if model is models.Subject else [])
    return model.objects.filter(pk=obj.pk).values().get(), children, m2m, measurements


def error_messages(client, response) -> list[str]:
    """The error messages the page a response leads to shows."""
    page = client.get(response.url) if response.status_code == 302 else response
    return [m.message for m in page.context["messages"] if m.level_tag == "error"]


def storage_url(media=None) -> str:
    return media.url if media is not None else default_storage.url("nothing/stored-here.png")


# --- what each admin is asked ---------------------------------------------------------------------
@dataclass
class Case:
    name: str
    make: Callable  # (user, org) -> obj
    refused: Callable  # (data, ctx) -> refused edit, applied to the shown form; ctx: ours, theirs
    refusal: str  # the error message (or, for a form error, "errornote")
    legal: Callable  # (data, ctx) -> a legal edit
    check: Callable  # (obj, ctx) -> asserts the legal edit was saved

    def __str__(self):
        return self.name


def edit(**changes):
    return lambda data, ctx: {**data, **changes}


def subject_refused(data, ctx):  # a base image by a storage URL of another organization's media
    return add_row(data, "base_images", shot_type=ctx["ours"]["shot_type"].pk, image_url=storage_url(ctx["theirs"]["media"]))


def subject_legal(data, ctx):
    data = add_row({**data, "name": "Ava"}, "base_images", shot_type=ctx["ours"]["shot_type"].pk, image_url=OUTSIDE)
    return add_row(data, "measurements", height_cm=176)


def subject_check(subject, ctx):
    assert subject.name == "Ava"
    assert [(b.shot_type_id, b.image_url) for b in subject.base_images.all()] == [(ctx["ours"]["shot_type"].pk, OUTSIDE)]
    assert subject.measurements.height_cm == 176


def set_design_refused(data, ctx):  # a storage URL naming no stored file
    return add_row(data, "reference_images", shot_type=ctx["ours"]["shot_type"].pk, image_url=storage_url())


def set_design_legal(data, ctx):
    data = {**data, "background_preset": str(ctx["ours"]["background"].pk)}
    data = add_row(data, "reference_images", shot_type=ctx["ours"]["shot_type"].pk, label="Front light",
                   image_url=storage_url(ctx["ours"]["media"]))
    return add_row(data, "subject_portraits", subject=ctx["ours"]["subject"].pk, image_url=OUTSIDE)


def set_design_check(design, ctx):
    assert design.background_preset_id == ctx["ours"]["background"].pk
    reference = design.reference_images.get()
    assert (reference.label, reference.image_media_id) == ("Front light", ctx["ours"]["media"].pk)  # the media twin
    assert design.subject_portraits.get().subject_id == ctx["ours"]["subject"].pk


NOT_ENOUGH = "Not enough permissions"
PUBLIC = "Only superusers can make a resource public"
CASES = [
    Case("product", f.ProductFactory, edit(public="on"), PUBLIC,
         lambda data, ctx: {**data, "name": "Linen shirt", "cover_image_url": storage_url(ctx["ours"]["media"])},
         lambda product, ctx: (product.name, product.cover_image_media_id) == ("Linen shirt", ctx["ours"]["media"].pk)),
    Case("product reference images", f.ProductFactory,
         lambda data, ctx: {**data, "reference_images": json.dumps([storage_url(ctx["ours"]["media"])])},
         "reference_images cannot point to the project's storage: give the media resource id in "
         "reference_images_media_ids",
         lambda data, ctx: {**data, "reference_images_media": [str(ctx["ours"]["media"].pk)]},
         lambda product, ctx: list(product.reference_images_media.all()) == [ctx["ours"]["media"]]),
    Case("subject", f.SubjectFactory, edit(public="on"), PUBLIC, subject_legal, subject_check),
    Case("subject base image", f.SubjectFactory, subject_refused, NOT_ENOUGH, subject_legal, subject_check),
    Case("shot type", f.ShotTypeFactory,
         lambda data, ctx: {**data, "reference_image_url": storage_url(ctx["theirs"]["media"])}, NOT_ENOUGH,
         edit(name="Three quarters", core_focus="on"),
         lambda shot_type, ctx: (shot_type.name, shot_type.core_focus) == ("Three quarters", True)),
    Case("shot type public", f.ShotTypeFactory, edit(public="on"), PUBLIC, edit(name="Side"),
         lambda shot_type, ctx: shot_type.name == "Side"),
    Case("pose preset", f.PosePresetFactory,
         lambda data, ctx: {**data, "pose_image_url": storage_url(ctx["theirs"]["media"])}, NOT_ENOUGH,
         lambda data, ctx: {**data, "name": "Hands in pockets", "pose_image_url": storage_url(ctx["ours"]["media"])},
         lambda pose, ctx: (pose.name, pose.pose_image_media_id) == ("Hands in pockets", ctx["ours"]["media"].pk)),
    Case("style", f.StyleFactory,
         lambda data, ctx: {**data, "reference_image_url": storage_url(ctx["ours"]["media"])},
         "reference_image_url cannot point to the project's storage: only outside URLs are stored here",
         edit(name="Editorial", reference_image_url=OUTSIDE),
         lambda style, ctx: (style.name, style.reference_image_url) == ("Editorial", OUTSIDE)),
    Case("background preset", f.BackgroundPresetFactory,
         lambda data, ctx: {**data, "image_url": storage_url(ctx["ours"]["media"])},
         "image_url cannot point to the project's storage: only outside URLs are stored here",
         edit(color="#112233"), lambda background, ctx: background.color == "#112233"),
    Case("set design", f.SetDesignFactory, set_design_refused,
         "image_url points to the project's storage but names no media resource", set_design_legal,
         set_design_check),
    Case("shooting guidelines", f.ShootingGuidelinesFactory,  # refused by the form already (the same rule)
         lambda data, ctx: {**data, "shot_types": [str(ctx["theirs"]["shot_type"].pk)]}, "errornote",
         lambda data, ctx: {**data, "shot_types": [str(ctx["ours"]["shot_type"].pk)], "file_format": "PNG"},
         lambda guidelines, ctx: (list(guidelines.shot_types.all()), guidelines.file_format)
         == ([ctx["ours"]["shot_type"]], "PNG")),
    # a resolution preset references nothing and is never public: only its tenant fields, read-only
    # here, could be refused (test_tenant_fields_are_not_edited)
    Case("resolution preset", f.ResolutionPresetFactory, None, "", edit(width="2400"),
         lambda preset, ctx: preset.width == 2400),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_an_edit_the_service_refuses_changes_nothing_and_a_legal_one_goes_through_it(
        case, as_staff, user, org, ours, theirs, calls):
    obj = case.make(owner=user, organization=org)
    ctx = {"ours": ours, "theirs": theirs}
    page = url(obj)
    model_name = type(obj).__name__
    if case.refused is not None:
        before = state(obj)
        response = as_staff.post(page, case.refused(shown(as_staff, page), ctx))
        if case.refusal == "errornote":
            assert response.status_code == 200 and "errornote" in response.content.decode()
        else:
            assert response.status_code == 302 and response.url == page
            assert error_messages(as_staff, response) == [case.refusal]
            assert calls == [("resource_update", model_name)]
        assert state(obj) == before
        calls.clear()

    response = as_staff.post(page, case.legal(shown(as_staff, page), ctx))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not error_messages(as_staff, response)
    assert calls == [("resource_update", model_name)]
    obj.refresh_from_db()
    assert case.check(obj, ctx) is not False
    assert (obj.owner_id, obj.organization_id) == (user.pk, org.pk)


@pytest.mark.parametrize("model", [m for m in django_admin.site._registry if m._meta.app_label == "catalog"],
                         ids=lambda m: m.__name__)
def test_tenant_fields_are_not_edited_and_a_delete_goes_through_the_service(model, as_superuser, user, org,
                                                                            theirs, other_user, calls):
    factory = next(c.make for c in CASES if c.make._meta.model is model)
    obj = factory(owner=user, organization=org)
    page = url(obj)
    data = shown(as_superuser, page)
    assert "owner" not in data and "organization" not in data  # read-only, for superusers too
    response = as_superuser.post(page, {**data, "owner": str(other_user.pk), "organization": str(theirs["org"].pk)})
    assert response.status_code == 302, response.content.decode()[:3000]
    obj.refresh_from_db()
    assert (obj.owner_id, obj.organization_id) == (user.pk, org.pk)
    assert calls == []  # nothing changed: no write at all

    assert as_superuser.post(url(obj, "delete"), {"post": "yes"}).status_code == 302
    assert calls == [("resource_delete", model.__name__)]
    assert not model.objects.filter(pk=obj.pk).exists()


def test_a_bulk_delete_goes_through_the_service_all_or_none(as_staff, user, org, calls, monkeypatch):
    styles = [f.StyleFactory(owner=user, organization=org) for _ in range(3)]
    selected = {"action": "delete_selected", "_selected_action": [str(s.pk) for s in styles], "post": "yes"}
    original = resources.resource_delete

    def refuse_the_last(*, user, instance):
        if instance.pk == styles[-1].pk:
            raise Conflict("Still in use")
        return original(user=user, instance=instance)

    monkeypatch.setattr(resources, "resource_delete", refuse_the_last)
    response = as_staff.post(url(models.Style, "changelist"), selected)
    assert error_messages(as_staff, response) == ["Still in use"]
    assert models.Style.objects.filter(pk__in=[s.pk for s in styles]).count() == 3  # all or none

    monkeypatch.setattr(resources, "resource_delete", original)
    calls.clear()
    response = as_staff.post(url(models.Style, "changelist"), selected)
    assert response.status_code == 302 and not error_messages(as_staff, response)
    assert calls == [("resource_delete", "Style")] * 3
    assert not models.Style.objects.filter(pk__in=[s.pk for s in styles]).exists()


# --- adding ---------------------------------------------------------------------------------------
def test_staff_add_through_the_create_service_in_their_organization(as_staff, staff, org, theirs, calls):
    page = url(models.ShotType, "add")
    data = {**shown(as_staff, page), "name": "Detail", "organization": str(org.pk)}
    response = as_staff.post(page, {**data, "public": "on"})
    assert error_messages(as_staff, response) == [PUBLIC]
    response = as_staff.post(page, {**data, "reference_image_url": storage_url(theirs["media"])})
    assert error_messages(as_staff, response) == [NOT_ENOUGH]
    assert not models.ShotType.objects.filter(name="Detail").exists()

    response = as_staff.post(page, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    shot_type = models.ShotType.objects.get(name="Detail")
    assert response.url == url(models.ShotType, "changelist")
    assert (shot_type.owner_id, shot_type.organization_id, shot_type.public) == (staff.pk, org.pk, False)
    assert calls == [("resource_create", "ShotType")] * 3


def test_a_subject_is_added_with_its_inlines_by_subject_create(as_superuser, superuser, org, ours, calls):
    page = url(models.Subject, "add")
    data = {**shown(as_superuser, page), "name": "Leo", "slug": "leo", "gender": "MALE", "organization": str(org.pk),
            "public": "on"}
    add_row(data, "base_images", shot_type=ours["shot_type"].pk, image_url=storage_url(ours["media"]))
    add_row(data, "measurements", height_cm=188, shoe_eu="44.5")
    response = as_superuser.post(page, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    subject = models.Subject.objects.get(slug="leo")
    assert (subject.owner_id, subject.organization_id, subject.public) == (superuser.pk, org.pk, True)
    assert subject.base_images.get().image_media_id == ours["media"].pk
    assert (subject.measurements.height_cm, float(subject.measurements.shoe_eu)) == (188, 44.5)
    assert calls == [("resource_create", "Subject")]


def test_an_inline_row_deleted_in_the_admin_is_deleted_by_the_nested_writer(as_staff, user, org, ours, calls):
    subject = f.SubjectFactory(owner=user, organization=org)
    models.SubjectBaseImage.objects.create(subject=subject, shot_type=ours["shot_type"], image_url=OUTSIDE)
    models.SubjectMeasurements.objects.create(subject=subject, height_cm=170)
    page = url(subject)
    data = shown(as_staff, page)
    response = as_staff.post(page, {**data, "base_images-0-DELETE": "on", "measurements-0-DELETE": "on"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not subject.base_images.exists() and not models.SubjectMeasurements.objects.filter(subject=subject).exists()
    assert calls == [("resource_update", "Subject")]


# --- the mapping ----------------------------------------------------------------------------------
BODIES = {models.Product: requests.ProductCreate, models.Subject: requests.SubjectCreate,
          models.ShotType: requests.ShotTypeCreate, models.PosePreset: requests.PosePresetCreate,
          models.SetDesign: requests.SetDesignCreate, models.ShootingGuidelines: requests.ShootingGuidelinesCreate,
          models.Style: requests.StyleCreate, models.ResolutionPreset: requests.ResolutionPresetCreate,
          models.BackgroundPreset: requests.BackgroundPresetCreate}


@pytest.mark.parametrize("model", BODIES, ids=lambda m: m.__name__)
def test_the_admin_writes_what_the_api_body_takes_and_shows_the_rest_read_only(model, rf, superuser):
    model_admin = django_admin.site._registry[model]
    body = BODIES[model].model_fields
    assert set(model_admin.service_fields.values()) <= set(body)
    request = rf.get("/")
    request.user = superuser
    editable = {name for name in model_admin.get_form(request, model()).base_fields}
    assert editable - set(model_admin.service_fields) == set()
    for inline in model_admin.inlines:
        assert issubclass(inline, ServiceInlineMixin) and inline.service_key in body
