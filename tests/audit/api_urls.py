"""A minimal DRF endpoint for the audit tests: the REST API proper is built
elsewhere, and what matters here is that a change made through an API request
(token authentication, resolved inside the view) is attributed to its user."""

from django.shortcuts import get_object_or_404
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from permits import services
from permits.models import EndUseAssurance


class AssuranceCompliance(APIView):
    def patch(self, request, pk):
        assurance = get_object_or_404(EndUseAssurance, pk=pk)
        services.update_assurance(assurance=assurance, compliance=request.data["compliance"])
        return Response({"compliance": assurance.compliance})


urlpatterns = [path("api/test/assurances/<int:pk>/", AssuranceCompliance.as_view())]
