"""The product's URLs plus the bare baseline view, served by the same process."""

from django.urls import path

from config.urls import urlpatterns as product_urlpatterns

from . import views

urlpatterns = [
    path("bench/baseline/permits/<str:number>/status/", views.baseline_status),
    *product_urlpatterns,
]
