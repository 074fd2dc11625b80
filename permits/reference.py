"""Reference data every installation has: the destinations and the roles."""

from .core.roles import ROLES


def ensure_reference_data(destination_model=None, group_model=None):
    """Create any missing destination or role. Safe to call any number of times."""
    from django_countries import countries

    from . import policy_facts as facts

    if destination_model is None:
        from django.contrib.auth.models import Group as group_model  # noqa: N813

        from .models import Destination as destination_model  # noqa: N813
    if destination_model.objects.count() < len(countries):
        destination_model.objects.bulk_create(
            [
                destination_model(
                    code=code,
                    name=str(name),
                    on_area_control_list=code in facts.AREA_CONTROL_LIST,
                    on_afccl=code in facts.AFCCL,
                    att_state_party=code in facts.ATT_STATES_PARTIES,
                    nato_member=code in facts.NATO,
                    eu_member=code in facts.EU,
                )
                for code, name in countries
            ],
            ignore_conflicts=True,
        )
    for role in ROLES:
        group_model.objects.get_or_create(name=role)
