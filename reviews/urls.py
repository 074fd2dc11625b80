from django.urls import path, register_converter

from permits.models import PERMIT_NUMBER_RE

from . import views


class PermitNumberConverter:
    # The permit-number pattern without its anchors (the URL resolver adds its own).
    regex = PERMIT_NUMBER_RE.removeprefix("^").removesuffix("$")

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(PermitNumberConverter, "permit")

urlpatterns = [
    path("", views.home, name="home"),
    path("flags/", views.flag_queue, name="flag-queue"),
    path("flags/resolve/", views.flags_resolve, name="flags-resolve"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="flag-resolve"),
    path("permits/<permit:number>/", views.permit_detail, name="permit-detail"),
    path("permits/<permit:number>/amend/", views.permit_amend, name="permit-amend"),
    path("permits/<permit:number>/rescind/", views.permit_rescind, name="permit-rescind"),
    path("destinations/", views.destination_list, name="destination-list"),
    path("destinations/<str:code>/", views.destination_detail, name="destination-detail"),
    path("destinations/<str:code>/evidence/", views.evidence_record, name="evidence-record"),
    path("destinations/<str:code>/reviews/", views.review_open, name="review-open"),
    path("evidence/<int:pk>/", views.evidence_detail, name="evidence-detail"),
    path("evidence/<int:pk>/grade/", views.evidence_grade, name="evidence-grade"),
    path("evidence/<int:pk>/attachments/", views.evidence_attachments, name="evidence-attachments"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment-download"),
    path("evidence/<int:pk>/progress/", views.evidence_progress, name="evidence-progress"),
    path("reviews/", views.review_list, name="review-list"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/findings/", views.review_findings, name="review-findings"),
    path("reviews/<int:pk>/recommendation/", views.review_recommend, name="review-recommend"),
    path("reviews/<int:pk>/decision/", views.review_decide, name="review-decide"),
    path("reviews/<int:pk>/send-back/", views.review_send_back, name="review-send-back"),
    path("reviews/<int:pk>/attachments/", views.review_attachments, name="review-attachments"),
]
