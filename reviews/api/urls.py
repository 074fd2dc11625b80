from django.urls import path

from . import views

urlpatterns = [
    path("destinations/<str:code>/evidence/", views.DestinationEvidence.as_view(), name="api-destination-evidence"),
    path("evidence/<str:pk>/", views.EvidenceDetail.as_view(), name="api-evidence"),
    path("evidence/<str:pk>/attachments/", views.EvidenceAttachments.as_view(), name="api-evidence-attachments"),
    path("attachments/<str:pk>/download/", views.AttachmentDownload.as_view(), name="api-attachment-download"),
    path("flags/", views.FlagList.as_view(), name="api-flags"),
    path("flags/<str:pk>/", views.FlagDetail.as_view(), name="api-flag"),
    path("flags/<str:pk>/resolve/", views.FlagResolve.as_view(), name="api-flag-resolve"),
]
