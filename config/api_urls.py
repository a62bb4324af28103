"""REST API v1 routes. Every tenant resource registers here (tests/isolation walks them).

Each app's `api` module lists its viewsets in ROUTES and its plain views in PATHS, so apps
add endpoints without editing this file.
"""

from importlib import import_module

from django.urls import path
from rest_framework.routers import DefaultRouter

from tenancy.api import MeView

API_MODULES = (
    "accounts.api",
    "outreach.api",
    "surveys.api",
    "renewals.api",
    "healthscore.api",
    "lifecycle.api",
    "dashboards.api",
)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
extra_paths = []
for module_name in API_MODULES:
    module = import_module(module_name)
    for prefix, viewset, basename in getattr(module, "ROUTES", ()):
        router.register(prefix, viewset, basename=basename)
    extra_paths.extend(getattr(module, "PATHS", ()))

urlpatterns = [path("me/", MeView.as_view(), name="me"), *extra_paths, *router.urls]
