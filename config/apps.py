"""The project's own app: connects the deployment hooks once every app is loaded."""

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "config"
    verbose_name = "Vetted deployment"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.urls import register_converter
        from simple_history.signals import post_create_historical_record

        from config.converters import IdConverter
        from config.logging import clear_request_id, log_history_record, log_history_records
        from content.signals import history_created_in_bulk

        # Here, before any URLconf is imported: a pattern resolves its converters when built.
        register_converter(IdConverter, "id")

        post_create_historical_record.connect(log_history_record, dispatch_uid="vetted_log_history_record")
        history_created_in_bulk.connect(log_history_records, dispatch_uid="vetted_log_history_records")
        request_finished.connect(clear_request_id, dispatch_uid="vetted_clear_request_id")
