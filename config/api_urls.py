"""The API: /api/v1/ (permits and reviews), /api/schema/ and /api/docs/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from . import openapi  # noqa: F401  (registers the token scheme with drf-spectacular)

urlpatterns = [
    path("v1/", include("permits.api.urls")),
    path("v1/", include("reviews.api.urls")),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
         name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", permission_classes=[AllowAny],
                                                 authentication_classes=[]), name="api-docs"),
]
