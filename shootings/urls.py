from sartiq.api.routes import COLLECTION, endpoint
from shootings.api.views import LookViewSet, ShootingViewSet

# Specific paths first: "shootings/summary" would otherwise read as a shooting id.
urlpatterns = [
    endpoint("shootings/summary", ShootingViewSet, {"get": "summary"}),
    endpoint("shootings/looks/{look_id}", LookViewSet, {"get": "retrieve_flat"}),
    endpoint("shootings/looks/{look_id}/outfit", LookViewSet, {"post": "manual_outfit"}),
    endpoint("shootings/looks/{look_id}/finalize-outfit", LookViewSet, {"post": "finalize_outfit"}),
    endpoint("shootings/looks/{look_id}/start-generations", LookViewSet, {"post": "start_generations"}),
    endpoint("shootings/looks/{look_id}/start-shot-type-generations", LookViewSet,
             {"post": "start_shot_type_generations"}),
    endpoint("shootings", ShootingViewSet, COLLECTION),
    endpoint("shootings/{shooting_id}", ShootingViewSet,
             {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"}),
    endpoint("shootings/{shooting_id}/looks", LookViewSet, {"get": "list", "post": "create_looks"}),
    endpoint("shootings/{shooting_id}/looks-summary", LookViewSet, {"get": "summary_list"}),
    endpoint("shootings/{shooting_id}/draft-summary", ShootingViewSet, {"get": "draft_summary"}),
    endpoint("shootings/{shooting_id}/history", ShootingViewSet, {"get": "history"}),
    endpoint("shootings/{shooting_id}/review-report", ShootingViewSet, {"get": "review_report"}),
    endpoint("shootings/{shooting_id}/looks/{look_id}", LookViewSet,
             {"get": "retrieve", "put": "update", "delete": "destroy"}),
]
