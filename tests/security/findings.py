"""Failing cases of the walk, classified: a finding of issue #10 (by number) or NEW.

A failing case whose id matches a pattern below is a known finding; every other failure is NEW
and is reported as such. The patterns name the finding's class, not a special case: when a fix
lands, its cases pass and the pattern stays harmless.
"""
from __future__ import annotations

import re

# Storage URLs the generation worker reads (shots/generation.py build_request -> _stored_bytes).
READ_BY_WORKER = (r"^body/subjects_\w+/(base_images\.\[\]\.image_url|cover_image_url|portrait_image_url)/",
                  r"^body/products_\w+/cover_image_url/", r"^body/set_designs_\w+/reference_images\.\[\]\.image_url/")
URL_FIELDS = r"(image_url|cover_image_url|back_image_url|portrait_image_url|pose_image_url|reference_image_url|" \
             r"shot_type_ref_image_url|url|reference_images|data_image_urls|outfit_ref_imgs_urls)"

KNOWN = [
    (r"^body/shots_revision_create/images\.\[\]\.sketch_image_url/|^scenario/sketch-of-A-then-delete-by-B$",
     "finding 4", "sketch_image_url skips the media check; deleting B's revision then deletes A's media and file"),
    (r"^path/external_integrations_(create|update|partial_update|destroy)/member$", "finding 6",
     "a MEMBER edits the organization's integrations"),
    (r"^scenario/transfer-by-member$", "finding 5", "a MEMBER moves the shooting into another organization"),
    (r"^scenario/public-(export|mapping)", "finding 3",
     "exports and mappings through a public product cross tenants"),
    (r"^scenario/env-credentials$", "finding 1", "credentials accept env:NAME of the server's environment"),
    (r"^scenario/media-file-served-to-anyone$", "finding 9", "local /media/ is served without a signature"),
    (r"^body/shots_revision_create/images\.\[\]\.image_url/m_member$|^scenario/image-of-A-into-M", "NEW-6",
     "revision images check that the caller may see the media, not that it is shared with the revision's "
     "organization: a member of two organizations moves (and, on delete, destroys) media between them"),
    # NEW: not listed in the issue (the first is of finding 4's class, the third of finding 3's).
    *[(pattern, "NEW-1", "storage URL of A's file accepted in B's catalog; the generation worker reads the file "
                         "into B's picture")
      for pattern in (*READ_BY_WORKER, r"^scenario/generation-reads-A-file-by-url$")],
    (rf"^body/\w+/([\w.\[\]]*\.)?{URL_FIELDS}/", "NEW-1b",
     "storage URL of A's file accepted and stored in B's resource (not read by the server today)"),
    (r"^(public/products_retrieve|read/products_list/no-org|own/products_list)/|^scenario/public-product-figures$", "NEW-2",
     "ProductPublic.integration_name of a public product names another tenant's integration"),
    (r"^scenario/public-download-ovs-by-B$", "NEW-3",
     "an OVS download of a public product's shot uses another tenant's mapping (file name, metadata)"),
    (r"^scenario/public-subject-base-image-by-B$", "NEW-4",
     "a base-image generation writes the tenant's picture into a public subject every tenant uses"),
    (r"^scenario/admin-staff-of-B-references-A$", "NEW-5",
     "admin forms skip the tenancy rule on references and tenant fields for non-superuser staff"),
]


def classify(case_id: str) -> tuple[str, str]:
    if case_id.startswith("recipe/") or case_id.endswith("/unclassified"):
        return "walk", "the walk cannot cover this yet: add a recipe or classify the field"
    for pattern, label, why in KNOWN:
        if re.search(pattern, case_id):
            return label, why
    return "NEW-?", "not yet classified"


def report(case_id: str, problems: list[str], calls: list[str]) -> str:
    label, why = classify(case_id)
    head = f"[{label}] {case_id}: {problems[0]}"
    lines = [head[:400]]
    if why:
        lines.append(f"  ({why})")
    lines += [f"  - {p[:600]}" for p in problems[1:12]]
    if len(problems) > 12:
        lines.append(f"  ... {len(problems) - 12} more")
    lines.append("  requests:")
    lines += [f"    {c[:700]}" for c in calls]
    return "\n".join(lines)
