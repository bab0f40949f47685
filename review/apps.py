from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review"

    def ready(self) -> None:
        # The audit trail's signal receivers (and its system check, registered by guards);
        # publishing's (a retired claim leaves every channel); discussion's (threads follow a
        # new version); review's own (notifications).
        from review import receivers  # noqa: F401
        from review.audit import receivers as audit_receivers  # noqa: F401
        from review.discussion import receivers as discussion_receivers  # noqa: F401
        from review.publishing import receivers as publishing_receivers  # noqa: F401
