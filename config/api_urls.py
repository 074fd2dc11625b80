"""The API: /api/v1/ (permits and reviews), /api/schema/ and /api/docs/."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from . import openapi  # noqa: F401  (registers the token scheme with drf-spectacular)



def not_found(request, *args, **kwargs):
    """JSON, not Django's HTML page, for any other path under /api/v1/."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("v1/", include("permits.api.urls")),
    path("v1/", include("reviews.api.urls")),
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
         name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny],
                                                 authentication_classes=[]), name="api-docs"),
    re_path(r"^v1/", not_found),
]
