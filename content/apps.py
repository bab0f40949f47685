from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = "Content"

    def ready(self) -> None:
        # Triage and the claims library: flag and match every new claim version.
        from content import receivers  # noqa: F401
