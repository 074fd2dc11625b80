"""The demonstration data set: the Turkey/WESCAM case of 2019-2021 and others.

Facts, dates and counts follow the public record summarised in the domain
brief; where the record gives only a month (the four November 2020
suspensions, the Ploughshares report of September 2020, the January 2024
policy change) the first working day that month is used, and the reason or
description says so. Ordinary permits are generated from a fixed seed.
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from permits import services
from permits.core import roles
from permits.core.clock import today
from permits.models import Destination, DestinationMeasure, MeasureKind, Permit
from permits.reference import ensure_reference_data

D = dt.date
TR_CASE_FIRST_PERMIT = "EXP-2020-00123"
# How long before its issue a permit's application is received, in the demo.
APPLICATION_DAYS = 45

DEMO_USERS = (
    ("official", "official-demo-2020", roles.OFFICIAL),
    ("minister", "minister-demo-2020", roles.DECISION_MAKER),
    ("reader", "reader-demo-2020", roles.READER),
    ("auditor", "auditor-demo-2020", roles.AUDITOR),
)

WESCAM = "L3Harris WESCAM"
WESCAM_EMAIL = "trade.compliance@wescam.example"

# The 29 permits to Turkey: (number, consignee, end user, items, issued_on).
# The first carries the 7 MX-15D systems to Baykar issued in May 2020.
_TR_ITEMS = [
    ("2-15.a", "MX-15D EO/IR imaging and targeting sensor", 7, Decimal("3500000.00")),
    ("2-15.a", "MX-15D EO/IR sensor, spare turret", 2, Decimal("980000.00")),
    ("2-15.d", "Spare parts and components for MX-15 sensors", 40, Decimal("310000.00")),
    ("2-5.b", "Laser designator module for MX-15D", 4, Decimal("420000.00")),
    ("2-15.a", "MX-10 EO/IR sensor", 3, Decimal("650000.00")),
    ("2-22.a", "Software for EO/IR sensor image processing", 1, Decimal("75000.00")),
]


def _tr_permits():
    rows = [(TR_CASE_FIRST_PERMIT, "Baykar", "Turkish Armed Forces", [_TR_ITEMS[0]], D(2020, 5, 12))]
    consignees = [
        ("Baykar", "Turkish Armed Forces"),
        ("Aselsan", "Turkish Armed Forces"),
        ("Turkish Aerospace Industries", "Turkish Air Force"),
        ("Baykar", "Turkish Naval Forces"),
    ]
    for n in range(2, 30):
        consignee, end_user = consignees[n % len(consignees)]
        item = _TR_ITEMS[1 + n % (len(_TR_ITEMS) - 1)]
        issued = D(2017, 1, 16) + dt.timedelta(days=42 * n) if n < 24 else D(2020, 5, 4 + n - 24)
        rows.append((f"EXP-TR-{issued.year}-{n:05d}", consignee, end_user, [item], issued))
    return rows


@dataclass
class DemoReport:
    logins: list = field(default_factory=list)
    messages: list = field(default_factory=list)


def load_demo():
    ensure_reference_data()
    report = DemoReport()
    _users(report)
    if Permit.objects.filter(number=TR_CASE_FIRST_PERMIT).exists():
        report.messages.append("Demo data already loaded; nothing changed.")
        return report
    with transaction.atomic():
        _turkey_case()
        _saudi_case()
        _ordinary_permits()
        expired = services.expire_due_permits()
    report.messages.append(
        f"Demo data loaded: {Permit.objects.count()} permits"
        f" ({expired.affected if expired else 0} expired by the daily job)."
    )
    return report


def _users(report):
    User = get_user_model()
    for username, password, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@demo.example"}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
        report.logins.append((username, password, role))


def _system_user(username):
    return get_user_model().objects.get(username=username)


def _turkey_case():
    from reviews import services as review_services  # demo only: loads both apps' data
    from reviews.models import Finding, Flag, ReviewCase

    tr = Destination.objects.get(code="TR")
    az = Destination.objects.get(code="AZ")
    minister = _system_user("minister")
    official = _system_user("official")
    DestinationMeasure.objects.bulk_create([
        DestinationMeasure(
            destination=tr, kind=MeasureKind.NEW_PERMITS_SUSPENDED, starts_on=D(2019, 10, 11),
            ends_on=D(2020, 4, 15),
            notice_reference="Minister of Foreign Affairs, statement of 15 October 2019",
            description="No new permits after Turkey's operation in north-east Syria (9 October 2019); "
                        "permits already issued stay usable.",
        ),
        DestinationMeasure(
            destination=tr, kind=MeasureKind.PRESUMPTIVE_DENIAL, scope="2-", starts_on=D(2020, 4, 16),
            ends_on=D(2023, 12, 31), notice_reference="Notice to Exporters No. 992",
            description="Group 2 (military) goods presumptively denied, with exceptions such as NATO "
                        "co-operation programmes.",
        ),
        DestinationMeasure(
            destination=tr, kind=MeasureKind.CASE_BY_CASE, starts_on=D(2024, 1, 2),
            notice_reference="Global Affairs Canada, January 2024",
            description="Presumptive denial lifted (January 2024); case-by-case review, with Turkey "
                        "to disclose re-exports of drones carrying Canadian parts.",
        ),
    ])

    permits = []
    for number, consignee, end_user, items, issued in _tr_permits():
        permits.append(services.create_permit(
            recorded_by=_system_user("official"),
            number=number, exporter=WESCAM, exporter_email=WESCAM_EMAIL, destination=tr,
            consignee=consignee, end_user=end_user, end_use="UAV and aircraft sensor payloads",
            issued_on=issued, valid_until=issued.replace(year=issued.year + 5),
            received_on=issued - dt.timedelta(days=APPLICATION_DAYS),
            items=[{"control_entry": e, "description": d, "quantity": q, "value": v}
                   for e, d, q, v in items],
        ))
        services.add_assurance(
            permit=permits[-1], kind="euc", issuer="Republic of Türkiye, Ministry of National Defence",
            end_user=end_user, end_use="Use by the Turkish Armed Forces only", issued_on=issued - dt.timedelta(days=30),
            government_authenticated=True, reexport_clause=True,
        )

    ploughshares = review_services.record_evidence(
        destination=tr, recorded_by=official,
        title="Killer Optics: exports of WESCAM sensors to Turkey",
        summary="Project Ploughshares report tracing WESCAM MX-15D sensors on Bayraktar TB2 drones and "
                "their use in conflicts; published September 2020.",
        source_type="ngo", source_organisation="Project Ploughshares",
        source_reference="https://www.ploughshares.ca/reports/killer-optics",
        published_on=D(2020, 9, 1), observed_on=D(2020, 9, 1), credibility="high",
        control_entries=["2-15"], end_users=["Baykar"], status="corroborated",
    )
    review_services.flag_evidence(evidence_id=ploughshares.pk, on_day=D(2020, 9, 1))
    _dated_evidence(ploughshares, D(2020, 9, 1))

    october = [p.pk for p in permits[:25]]
    services.record_batch_decision(
        permit_ids=october, kind="suspend", effective_on=D(2020, 10, 5), decided_by=minister,
        reason="Suspended pending review of allegations that Canadian-made sensors exported to Turkey "
               "were used in the Nagorno-Karabakh conflict.",
    )
    review = review_services.open_review(
        destination=tr, title="Review of permits for exports of optical sensors to Turkey",
        opened_by=official, permit_ids=[p.pk for p in permits],
    )
    review_services.escalate_flags(
        flag_ids=list(Flag.objects.filter(evidence=ploughshares).values_list("id", flat=True)),
        review=review, resolved_by=official,
        note="Escalated to the review of exports to Turkey (October 2020).",
    )
    _dated_resolutions(ploughshares, D(2020, 10, 5))
    recovered = review_services.record_evidence(
        destination=tr, recorded_by=official, diverted_to=az,
        title="Downed TB2 carried a CMX-15D",
        summary="Armenia's defence ministry displayed a downed Bayraktar TB2 carrying a CMX-15D sensor, "
                "made June 2020, installed September 2020, 31 operating hours.",
        source_type="physical_recovery", source_organisation="Ministry of Defence of Armenia",
        observed_on=D(2020, 10, 20), published_on=D(2020, 10, 20), location="Nagorno-Karabakh",
        credibility="corroborated", control_entries=["2-15"], end_users=["Baykar"],
        serial_numbers=["CMX-15D (June 2020)"], status="corroborated",
    )
    review_services.flag_evidence(evidence_id=recovered.pk, on_day=D(2020, 10, 20))
    _dated_evidence(recovered, D(2020, 10, 20))
    review_services.escalate_flags(
        flag_ids=list(Flag.objects.filter(evidence=recovered).values_list("id", flat=True)),
        review=review, resolved_by=official,
        note="Physical recovery in Nagorno-Karabakh: added to the review of exports to Turkey.",
    )
    _dated_resolutions(recovered, D(2020, 10, 21))
    services.record_batch_decision(
        permit_ids=[p.pk for p in permits[25:]], kind="suspend", effective_on=D(2020, 11, 2),
        decided_by=minister,
        reason="Further permits suspended in November 2020 pending the review of the Nagorno-Karabakh "
               "allegations.",
    )
    evidence = [ploughshares.pk, recovered.pk]
    review_services.record_findings(review=review, recorded_by=official, findings=[
        {"criterion": criterion, "risk": risk, "rationale": rationale,
         "evidence_ids": evidence if risk == "substantial" else []}
        for criterion, risk, rationale in _TR_FINDINGS
    ])
    review_services.submit_recommendation(
        review=review, recommendation="cancel", recommended_by=official,
        rationale="Credible evidence that Canadian sensors were used in Nagorno-Karabakh, "
                  "inconsistent with the end-use assurances given by Turkey.",
    )
    review_services.decide_review(
        review=review, kind="cancel", effective_on=D(2021, 4, 12), decided_by=minister,
        reason="Credible evidence that Canadian technology exported to Turkey was used in "
               "Nagorno-Karabakh, not consistent with Canada's foreign policy nor end-use assurances "
               "given by Turkey.",
    )
    # The case's own dates: the services stamp the moment the demo is loaded.
    ReviewCase.objects.filter(pk=review.pk).update(
        opened_at=_at(D(2020, 10, 5)), recommended_at=_at(D(2021, 4, 6)), decided_at=_at(D(2021, 4, 12)),
    )
    Finding.objects.filter(review=review).update(updated_at=_at(D(2021, 3, 26)))


# The review's findings, one per criterion (the assessment the public record describes).
_TR_FINDINGS = [
    ("eipa_7_3_1_a", "substantial", "Sensors used in the Nagorno-Karabakh war (27 Sep – 10 Nov 2020)."),
    ("eipa_7_3_1_b_i", "substantial", "Use in strikes in Nagorno-Karabakh; serious violations of "
                                      "international humanitarian law alleged by credible sources."),
    ("eipa_7_3_1_b_ii", "low", "No specific evidence of use against civilians in Turkey."),
    ("eipa_7_3_1_b_iii", "none", "No link to terrorism found."),
    ("eipa_7_3_1_b_iv", "none", "No link to transnational organized crime found."),
    ("eipa_7_3_1_b_v", "none", "No evidence of gender-based violence linked to these goods."),
    ("att_11", "substantial", "A sensor exported to Turkey was recovered from a drone used by Azerbaijan."),
    ("assurances", "substantial", "Use outside Turkey is not consistent with the end-use assurances "
                                  "given by Turkey."),
]


def _at(day, hour=10):
    """A moment of the case's own day, in the configured time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _dated_evidence(evidence, day):
    from reviews.models import DiversionEvidence, Flag

    DiversionEvidence.objects.filter(pk=evidence.pk).update(recorded_at=_at(day), flagging_finished_at=_at(day))
    Flag.objects.filter(evidence=evidence).update(created_at=_at(day))


def _dated_resolutions(evidence, day):
    from reviews.models import Flag

    Flag.objects.filter(evidence=evidence).exclude(resolved_at=None).update(resolved_at=_at(day, 15))


def _saudi_case():
    sa = Destination.objects.get(code="SA")
    minister = _system_user("minister")
    DestinationMeasure.objects.bulk_create([
        DestinationMeasure(
            destination=sa, kind=MeasureKind.NEW_PERMITS_SUSPENDED, starts_on=D(2018, 11, 1),
            ends_on=D(2020, 4, 8), notice_reference="Government of Canada, November 2018",
            description="New permits frozen during the review of exports to Saudi Arabia.",
        ),
        DestinationMeasure(
            destination=sa, kind=MeasureKind.CASE_BY_CASE, starts_on=D(2020, 4, 9),
            notice_reference="Review concluded 9 April 2020",
            description="Permits resumed, assessed case by case.",
        ),
    ])
    for n, issued in enumerate([D(2016, 4, 8), D(2017, 2, 20), D(2020, 4, 9), D(2021, 3, 15), D(2024, 6, 3)], 1):
        permit = services.create_permit(
            recorded_by=_system_user("official"),
            number=f"EXP-SA-{issued.year}-{n:05d}", exporter="General Dynamics Land Systems–Canada",
            exporter_email="export.control@gdlscanada.example", destination=sa,
            consignee="Saudi Arabian National Guard", end_user="Saudi Arabian National Guard",
            end_use="Light armoured vehicles (2014 contract)", issued_on=issued,
            valid_until=issued.replace(year=issued.year + 5),
            received_on=issued - dt.timedelta(days=APPLICATION_DAYS),
            items=[{"control_entry": "2-6.a", "description": "LAV 6 light armoured vehicle",
                    "quantity": 12 + n, "value": Decimal("48000000.00")}],
        )
        if n == 2:
            services.record_decision(
                permit=permit, kind="suspend", effective_on=D(2018, 11, 19), decided_by=minister,
                reason="Suspended during the review of exports to Saudi Arabia.",
            )
            services.record_decision(
                permit=permit, kind="reinstate", effective_on=D(2020, 4, 9), decided_by=minister,
                reason="Review concluded: no substantial risk found; permit reinstated.",
            )


_EXPORTERS = [
    ("CAE Inc.", "exports@cae.example"), ("Colt Canada", "trade@coltcanada.example"),
    ("MDA Space", "compliance@mda.example"), ("Héroux-Devtek", "export@herouxdevtek.example"),
    ("Magellan Aerospace", "trade@magellan.example"), ("Kraken Robotics", "export@kraken.example"),
    ("Teledyne DALSA", "export@dalsa.example"), ("Bombardier Defence", "trade@bombardier.example"),
    ("Raytheon Canada", "export@raytheon.example"), ("Pratt & Whitney Canada", "trade@pwc.example"),
]
_GOODS = [
    ("2-10.a", "Aircraft parts and components"), ("2-10.g", "Flight simulator components"),
    ("2-11.a", "Military electronic equipment"), ("2-15.a", "Thermal imaging camera"),
    ("2-5.a", "Fire control system components"), ("2-1.a", "Rifles and carbines"),
    ("2-3.a", "Ammunition, 5.56 mm"), ("2-14.a", "Training simulator"),
    ("1-5.A.2", "Encryption equipment"), ("1-6.A.3", "Infrared camera, dual-use"),
    ("1-9.A.1", "Gas turbine engine parts"), ("2-6.a", "Armoured vehicle parts"),
]
_DESTINATIONS = [
    "US", "GB", "AU", "DE", "FR", "NL", "NO", "JP", "KR", "NZ", "PL", "IT", "ES", "SE", "FI",
    "DK", "BE", "CH", "IL", "AE", "QA", "KW", "IN", "SG", "MY", "TH", "BR", "CL", "CO", "MX",
    "UA", "RO", "CZ", "PT", "EE", "LT", "LV", "GR",
]
_CONSIGNEES = ["Ministry of Defence", "Armed Forces", "National Police", "Air Force", "Navy",
               "Defence Procurement Agency", "Aerospace Systems Ltd", "Security Services"]


def _ordinary_permits():
    # Dated back from today, so that the register looks current whenever the
    # demo is loaded and no permit is ever issued or received after today.
    on_day = today()
    rng = random.Random(20201005)
    official = _system_user("official")
    for n in range(1, 301):
        exporter, email = rng.choice(_EXPORTERS)
        code = rng.choice(_DESTINATIONS)
        entries = rng.sample(_GOODS, rng.choice([1, 1, 2, 3]))
        items = [{"control_entry": e, "description": d, "quantity": rng.randint(1, 200),
                  "value": Decimal(rng.randint(1_000, 5_000_000))} for e, d in entries]
        consignee = f"{code} {rng.choice(_CONSIGNEES)}"
        if n % 10 == 0:
            received = on_day - dt.timedelta(days=n % 90)
            services.create_permit(
                recorded_by=official,
                number=f"APP-{received.year}-{n:05d}", exporter=exporter, exporter_email=email, destination=code,
                consignee=consignee, end_user=consignee, end_use="Defence use", status="pending",
                received_on=received, items=items,
            )
            continue
        issued = on_day - dt.timedelta(days=1 + (n * 53) % 1500)
        services.create_permit(
                recorded_by=official,
            number=f"EXP-{issued.year}-{n:05d}", exporter=exporter, exporter_email=email,
            destination=code, consignee=consignee, end_user=consignee, end_use="Defence use",
            issued_on=issued, valid_until=issued + dt.timedelta(days=365 * rng.choice([1, 2, 3, 4])),
            received_on=issued - dt.timedelta(days=APPLICATION_DAYS), items=items,
        )
