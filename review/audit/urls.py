"""Compliance pages and the audit API (`api_urlpatterns` goes under /api/v1/)."""

from django.urls import path

from review.audit import api, views

urlpatterns = [
    path("compliance/", views.timeline, name="compliance_timeline"),
    path("compliance/as-of/", views.as_of, name="compliance_as_of"),
    path("compliance/claims/<id:pk>/dossier/", views.dossier, name="compliance_dossier"),
    path("compliance/integrity/", views.integrity, name="compliance_integrity"),
    path("compliance/integrity/verify/", views.run_verify, name="compliance_verify"),
]

api_urlpatterns = [
    path("audit/events/", api.AuditEvents.as_view(), name="api_audit_events"),
    path("audit/export.csv", api.ExportCSV.as_view(), name="api_audit_export_csv"),
    path("audit/export.json", api.ExportJSON.as_view(), name="api_audit_export_json"),
    path("audit/verify/", api.Verify.as_view(), name="api_audit_verify"),
    path("claims/<id:pk>/as-of/", api.ClaimAsOf.as_view(), name="api_claim_as_of"),
]
