"""The catalog endpoints as data, so that tenancy and query-count tests cover every one of them."""
from dataclasses import dataclass
from typing import Callable

from sartiq.catalog.tests import factories as f
from sartiq.media.tests.factories import MediaResourceFactory


@dataclass
class Resource:
    path: str
    thing: str
    factory: type
    # minimal create body of contract §2, given the owner and organization of the new object
    create_body: Callable
    update_body: dict
    # queries of a list page beyond auth, count and rows (the prefetches), with all nested data present
    list_prefetches: int

    def __str__(self):
        return self.path


def _pose_body(user, org):
    return {"name": "Pose", "shot_type_id": str(f.ShotTypeFactory(owner=user, organization=org).id)}


RESOURCES = [
    Resource("products", "Product", f.ProductFactory, lambda u, o: {"name": "Tee"}, {"name": "Renamed"},
             # reference_images_media, the latest visible look, that look's shots
             list_prefetches=3),
    Resource("subjects", "Subject", f.SubjectFactory, lambda u, o: {"name": "Ava", "gender": "FEMALE"},
             {"name": "Renamed"},
             # base_images (+shot type, media), data_images_media, portfolio_images_media
             list_prefetches=3),
    Resource("shot-types", "Shot type", f.ShotTypeFactory, lambda u, o: {"name": "Front"}, {"name": "Renamed"},
             list_prefetches=0),
    Resource("pose-presets", "Pose preset", f.PosePresetFactory, _pose_body, {"name": "Renamed"},
             list_prefetches=0),
    Resource("set-designs", "Set design", f.SetDesignFactory, lambda u, o: {"name": "Studio"}, {"name": "Renamed"},
             # base_images, reference_images, subject_portraits (each with its media joined)
             list_prefetches=3),
    Resource("guidelines", "Guidelines", f.ShootingGuidelinesFactory, lambda u, o: {"name": "Default"},
             {"name": "Renamed"},
             # set_design + its 3 children, shot_types, subjects + their 3 prefetches, pose_presets
             list_prefetches=10),
    Resource("styles", "Style", f.StyleFactory, lambda u, o: {"name": "Clean"}, {"name": "Renamed"},
             list_prefetches=0),
    Resource("resolution-presets", "Resolution preset", f.ResolutionPresetFactory,
             lambda u, o: {"name": "4:5", "width": 1600, "height": 2000}, {"name": "Renamed"}, list_prefetches=0),
    Resource("background-presets", "Background preset", f.BackgroundPresetFactory, lambda u, o: {"name": "White"},
             {"name": "Renamed"}, list_prefetches=0),
    Resource("media-resources", "Media resource", MediaResourceFactory, None, {"alt_text": "Renamed"},
             list_prefetches=0),
]


def make(resource: Resource, **kwargs):
    obj = f.fully_loaded(resource.factory, **kwargs)
    if resource.factory is f.ProductFactory:
        # A product is fully loaded when it has a look with shots in a shooting of its tenant.
        from shootings.tests.factories import ShootingFactory, look_with_shots

        shooting = ShootingFactory(owner=obj.owner, organization=obj.organization)
        look_with_shots(shooting, statuses=("PROPOSAL", None), product=obj)
    return obj
