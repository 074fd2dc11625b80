"""Factories for test data. Permits are built through the lifecycle service."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from knox.models import AuthToken
from rest_framework.test import APIClient

from permits import services
from permits.models import Destination, EndUseAssurance, Permit
from reviews.models import DiversionEvidence

PASSWORD = "correct-horse-battery-staple"


def new_token(user, expiry=None):
    """A new API token of ``user``: the key a client sends."""
    return AuthToken.objects.create(user=user, expiry=expiry)[1]


def token_client(key=None):
    """An APIClient sending the API token ``key``; None → anonymous."""
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class PermitFactory(factory.Factory):
    """Creates permits with ``services.create_permit`` (so an active one has its issue decision)."""

    class Meta:
        model = Permit

    number = factory.Sequence(lambda n: f"EXP-T-{n:06d}")
    exporter = "L3Harris WESCAM"
    exporter_email = "exports@example.com"
    destination = "TR"
    consignee = "Baykar"
    end_user = "Turkish Armed Forces"
    end_use = "UAV sensor payload"
    status = "active"
    issued_on = dt.date(2020, 5, 12)
    valid_until = dt.date(2030, 5, 11)
    received_on = None
    currency = "CAD"
    # The official whose delegated authority the issue decision records.
    recorded_by = factory.LazyFunction(lambda: UserFactory(role="official", username="licensing-system"))
    items = factory.LazyFunction(
        lambda: [{"control_entry": "2-15.a", "description": "MX-15D EO/IR sensor",
                  "quantity": 7, "value": Decimal("3500000.00")}]
    )

    @classmethod
    def _create(cls, model_class, **kwargs):
        if kwargs.get("status") == "pending":
            kwargs["issued_on"] = None
        return services.create_permit(**kwargs)

    @classmethod
    def _build(cls, model_class, **kwargs):
        raise NotImplementedError("permits are only created through the service")


class EvidenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiversionEvidence

    destination = factory.LazyFunction(lambda: Destination.objects.get(code="TR"))
    title = factory.Sequence(lambda n: f"Evidence {n}")
    source_type = "ngo"
    observed_on = dt.date(2020, 10, 20)
    credibility = "high"
    control_entries = factory.LazyFunction(lambda: ["2-15"])
    end_users = factory.LazyFunction(list)


class AssuranceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EndUseAssurance

    kind = "euc"
    issuer = "Republic of Türkiye, Ministry of National Defence"
    issued_on = dt.date(2020, 4, 1)
