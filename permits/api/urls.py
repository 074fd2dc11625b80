from django.urls import path

from ..events.api import EventFeed
from . import views

urlpatterns = [
    path("permits/", views.PermitList.as_view(), name="api-permits"),
    path("permits/import/", views.PermitImport.as_view(), name="api-permit-import"),
    path("jobs/<str:pk>/", views.JobDetail.as_view(), name="api-job"),
    path("permits/<str:number>/", views.PermitDetail.as_view(), name="api-permit"),
    path("permits/<str:number>/status/", views.PermitStatusAsOf.as_view(), name="api-permit-status"),
    path("permits/<str:number>/decisions/", views.PermitDecisions.as_view(), name="api-permit-decisions"),
    path("permits/<str:number>/assurances/", views.PermitAssurances.as_view(), name="api-permit-assurances"),
    path("assurances/<str:pk>/", views.AssuranceDetail.as_view(), name="api-assurance"),
    path("destinations/", views.DestinationList.as_view(), name="api-destinations"),
    path("destinations/<str:code>/", views.DestinationDetail.as_view(), name="api-destination"),
    path("ledger/head/", views.LedgerHead.as_view(), name="api-ledger-head"),
    path("destinations/<str:code>/decisions/", views.BlanketDecision.as_view(), name="api-blanket-decision"),
    path("events/", EventFeed.as_view(), name="api-events"),
]
