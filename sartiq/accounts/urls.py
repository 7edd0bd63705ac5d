from sartiq.accounts.api import views
from sartiq.api.routes import COLLECTION, crud, endpoint

urlpatterns = [
    endpoint("login/access-token", views.LoginViewSet, {"post": "access_token"}),
    endpoint("login/test-token", views.TestTokenViewSet, {"post": "test_token"}),
    endpoint("users/signup", views.SignupViewSet, {"post": "signup"}),
    endpoint("users/me", views.MeViewSet, {"get": "retrieve", "patch": "update"}),
    endpoint("users/me/password", views.MeViewSet, {"patch": "password"}),
    *crud("organizations", views.OrganizationViewSet),
    endpoint("organizations/{organization_id}/members", views.MembershipViewSet, COLLECTION),
    endpoint("organizations/{organization_id}/members/{user_id}", views.MembershipViewSet,
             {"patch": "update", "delete": "destroy"}),
]
