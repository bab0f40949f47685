"""The project's own app: connects the deployment hooks once every app is loaded."""

from django.apps import AppConfig


class ProjectConfig(AppConfig):
    name = "config"
    verbose_name = "Vetted deployment"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.core.signals import request_finished
        from simple_history.signals import post_create_historical_record

        from config.logging import clear_request_id, log_history_record
        from config.security import audit_lockout

        post_create_historical_record.connect(log_history_record, dispatch_uid="vetted_log_history_record")
        request_finished.connect(clear_request_id, dispatch_uid="vetted_clear_request_id")
        user_locked_out.connect(audit_lockout, dispatch_uid="vetted_audit_lockout")
