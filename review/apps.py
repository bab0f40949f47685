from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        # audit: the audit trail's signal receivers and its system check.
        # publishing: the claim_retired receiver (a retired claim leaves every channel).
        from review import audit, publishing  # noqa: F401
