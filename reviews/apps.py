from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"

    def ready(self):
        from permits.signals import permits_became_live

        from .services import on_permits_became_live

        # A permit created or issued on a destination with evidence is flagged
        # against it at once (see permits/signals.py for why a signal).
        permits_became_live.connect(on_permits_became_live, dispatch_uid="reviews.flag_new_permits")
