"""Pages and API of triage and the claims library (issue 8); included once from config/urls.py."""

from django.urls import path

from review import library_api, library_views

urlpatterns = [
    path("library/", library_views.library, name="library"),
    path("library/references/", library_views.reference_list, name="library_references"),
    path("library/references/<int:pk>/", library_views.reference_detail, name="library_reference"),
    path("library/references/<int:pk>/mark/", library_views.reference_mark, name="library_reference_mark"),
    path("claims/<int:pk>/flags/<int:flag_id>/dismiss/", library_views.flag_dismiss, name="claim_flag_dismiss"),
    path("claims/<int:pk>/library/<int:match_id>/link/", library_views.claim_link, name="claim_library_link"),
    path("api/v1/library/", library_api.LibraryList.as_view(), name="api_library"),
    path(
        "api/v1/claims/<int:pk>/flags/<int:flag_id>/dismiss/",
        library_api.FlagDismiss.as_view(),
        name="api_claim_flag_dismiss",
    ),
]
