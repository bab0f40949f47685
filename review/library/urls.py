"""Pages and API of triage and the claims library; included once from config/urls.py."""

from django.urls import path

from review.library import api, views

urlpatterns = [
    path("library/", views.library, name="library"),
    path("library/references/", views.reference_list, name="library_references"),
    path("library/references/<id:pk>/", views.reference_detail, name="library_reference"),
    path("library/references/<id:pk>/mark/", views.reference_mark, name="library_reference_mark"),
    path("claims/<id:pk>/flags/<id:flag_id>/dismiss/", views.flag_dismiss, name="claim_flag_dismiss"),
    path("claims/<id:pk>/library/<id:match_id>/link/", views.claim_link, name="claim_library_link"),
    path("api/v1/library/", api.LibraryList.as_view(), name="api_library"),
    path("api/v1/references/<id:pk>/status/", api.ReferenceStatusView.as_view(), name="api_reference_status"),
    path(
        "api/v1/claims/<id:pk>/flags/<id:flag_id>/dismiss/",
        api.FlagDismiss.as_view(),
        name="api_claim_flag_dismiss",
    ),
]
