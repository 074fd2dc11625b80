from django.contrib import admin
from django.urls import include, path

from . import health, twofactor

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/2fa/", twofactor.two_factor, name="two_factor"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("permits.urls")),
    path("", include("reviews.urls")),
]
