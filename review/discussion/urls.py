"""URLs for discussing a claim's words: the page forms (urlpatterns) and the JSON API (api_urlpatterns)."""

from django.urls import path

from review.discussion import api, views

urlpatterns = [
    path("claims/<id:pk>/comments/", views.comment_create, name="comment_create"),
    path("comments/<id:pk>/resolve/", views.comment_resolve, name="comment_resolve"),
    path("claims/<id:pk>/suggestions/", views.suggestion_create, name="suggestion_create"),
    path("suggestions/<id:pk>/accept/", views.suggestion_accept, name="suggestion_accept"),
    path("suggestions/<id:pk>/decline/", views.suggestion_decline, name="suggestion_decline"),
]

api_urlpatterns = [
    path("claims/<id:pk>/comments/", api.ClaimComments.as_view(), name="api_claim_comments"),
    path("comments/<id:pk>/resolve/", api.CommentResolve.as_view(), name="api_comment_resolve"),
    path("claims/<id:pk>/suggestions/", api.ClaimSuggestions.as_view(), name="api_claim_suggestions"),
    path("suggestions/<id:pk>/accept/", api.SuggestionAccept.as_view(), name="api_suggestion_accept"),
    path("suggestions/<id:pk>/decline/", api.SuggestionDecline.as_view(), name="api_suggestion_decline"),
]
