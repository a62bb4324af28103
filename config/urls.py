from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("auth/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api_urls", "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Swagger UI's script is served as a file (split view); it styles itself inline.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api_schema")
        ),
        name="api_docs",
    ),
    path("", include("tenancy.urls")),
    path("", include("accounts.urls")),
    path("", include("renewals.urls")),
    path("", include("outreach.urls")),
    path("", include("surveys.urls")),
    path("", include("healthscore.urls")),
    path("", include("lifecycle.urls")),
    path("", include("dashboards.urls")),
]
