from sartiq.api.routes import crud
from sartiq.catalog.api import views

urlpatterns = [
    *crud("products", views.ProductViewSet),
    *crud("subjects", views.SubjectViewSet),
    *crud("shot-types", views.ShotTypeViewSet),
    *crud("pose-presets", views.PosePresetViewSet),
    *crud("set-designs", views.SetDesignViewSet),
    *crud("guidelines", views.ShootingGuidelinesViewSet),
    *crud("styles", views.StyleViewSet),
    *crud("resolution-presets", views.ResolutionPresetViewSet),
    *crud("background-presets", views.BackgroundPresetViewSet),
]
