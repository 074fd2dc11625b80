from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from ..api.serializers import DecisionSerializer
from ..permissions import ReadOnly
from .feed import DEFAULT_LIMIT, MAX_LIMIT, events_after
from .models import EVENT_TYPES


class FeedQuery(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, max_value=2**63 - 1, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)


class EventDataSerializer(serializers.Serializer):
    number = serializers.CharField()
    destination = serializers.CharField()
    status = serializers.CharField()
    since = serializers.DateField()
    decision = DecisionSerializer(allow_null=True)


class EventSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    id = serializers.CharField()
    type = serializers.ChoiceField(choices=[(t, t) for t in EVENT_TYPES])
    time = serializers.DateTimeField()
    data = EventDataSerializer()


class EventPageSerializer(serializers.Serializer):
    events = EventSerializer(many=True)
    next_after = serializers.IntegerField()


class EventFeed(generics.GenericAPIView):
    """Every change of every permit, oldest first.

    Pass the `next_after` of each answer as the next `after`: a client that does
    so sees every event exactly once, whatever the timing of concurrent
    transactions (events are numbered in commit order).
    """

    permission_classes = [ReadOnly]
    serializer_class = EventPageSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("after", int, description="The last seq seen (0: from the start)."),
            OpenApiParameter("limit", int, description=f"At most this many events, 1 to {MAX_LIMIT} "
                                                       f"(default {DEFAULT_LIMIT})."),
        ],
        examples=[OpenApiExample("A page", response_only=True, value={
            "events": [{"seq": 118, "id": "evt_4f0c", "type": "permit.suspended",
                        "time": "2020-10-05T14:00:00Z", "data": {
                            "number": "EXP-2020-0001", "destination": "TR", "status": "suspended",
                            "since": "2020-10-05", "decision": None}}],
            "next_after": 118})],
    )
    def get(self, request):
        query = FeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        events, next_after = events_after(**query.validated_data)
        return Response({"events": events, "next_after": next_after})
