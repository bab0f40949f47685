"""Pages and API of the inbox; included once from config/urls.py."""

from django.urls import path

from review.inbox import api, views

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read/", views.read_all, name="inbox_read_all"),
    path("inbox/<id:pk>/read/", views.mark_read, name="inbox_read"),
    path("api/v1/inbox/", api.InboxList.as_view(), name="api_inbox"),
    path("api/v1/inbox/<id:pk>/read/", api.InboxRead.as_view(), name="api_inbox_read"),
]
