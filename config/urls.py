from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from permits.forms import SignInForm

from . import health, twofactor

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/2fa/", twofactor.two_factor, name="two_factor"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # Signing in and out, and changing one's own password once signed in. No
    # password-reset views: a reset link by e-mail would be a way round the
    # lockout and the second factor; a superuser sets a new password instead.
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("", include("permits.urls")),
    path("", include("reviews.urls")),
]
