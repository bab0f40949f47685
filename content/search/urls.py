"""The search page and its API; included once from config/urls.py."""

from django.urls import path

from content.search import api, views

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("api/v1/search/", api.Search.as_view(), name="api_search"),
]
