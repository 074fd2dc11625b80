"""Template helpers of the review pages; the status words of flags, evidence and reviews."""

from django import template
from django.utils.translation import gettext_lazy as _

from permits.templatetags.ui import LABELS
from reviews.models import Credibility, FlagStatus, Relevance, ReviewStatus, RiskLevel

register = template.Library()

# The shared ``tag`` filter (permits' ui library) shows these words too.
LABELS.update({
    "flag": dict(FlagStatus.choices),
    "relevance": dict(Relevance.choices),
    "risk": dict(RiskLevel.choices),
    "review": dict(ReviewStatus.choices),
    "credibility": dict(Credibility.choices),
    "flagging": {"done": _("Flagging done"), "queued": _("Flagging in progress")},
})


@register.simple_tag
def allowed_actions(review, user):
    """What ``user`` may do on ``review`` now: the review lifecycle's answer, not the template's."""
    from reviews.services import allowed_actions as actions

    return actions(review, user)
