from django.urls import path

from . import views

urlpatterns = [
    path("permits/", views.permit_search, name="permit-search"),
    path("permits/new/", views.permit_new, name="permit-new"),
    path("permits/import/", views.permit_import, name="permit-import"),
    path("jobs/<int:pk>/", views.job_detail, name="job-detail"),
    path("permits/export.csv", views.permit_export, name="permit-export"),
    path("permits/<str:number>/assurances/<int:pk>/", views.assurance_update, name="assurance-update"),
]
