"""Compliance pages and the audit API (`api_urlpatterns` goes under /api/v1/)."""

from django.urls import path

from review import compliance_api, compliance_views

urlpatterns = [
    path("compliance/", compliance_views.timeline, name="compliance_timeline"),
    path("compliance/as-of/", compliance_views.as_of, name="compliance_as_of"),
    path("compliance/claims/<int:pk>/dossier/", compliance_views.dossier, name="compliance_dossier"),
    path("compliance/integrity/", compliance_views.integrity, name="compliance_integrity"),
    path("compliance/integrity/verify/", compliance_views.run_verify, name="compliance_verify"),
]

api_urlpatterns = [
    path("audit/events/", compliance_api.AuditEvents.as_view(), name="api_audit_events"),
    path("audit/export.csv", compliance_api.ExportCSV.as_view(), name="api_audit_export_csv"),
    path("audit/export.json", compliance_api.ExportJSON.as_view(), name="api_audit_export_json"),
    path("audit/verify/", compliance_api.Verify.as_view(), name="api_audit_verify"),
    path("claims/<int:pk>/as-of/", compliance_api.ClaimAsOf.as_view(), name="api_claim_as_of"),
]
