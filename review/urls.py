from django.urls import path

from review import api, views
from review.dashboard import views as dashboard_views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("review/queue/", views.queue, name="review_queue"),
    path("review/next/", views.next_claim, name="review_next"),
    path("claims/<id:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<id:pk>/review/", views.claim_review, name="claim_review"),
    path("claims/<id:pk>/review/open/", views.claim_review_open, name="claim_review_open"),
]

api_urlpatterns = [
    path("claims/<id:pk>/reviews/", api.ClaimReviews.as_view(), name="api_claim_reviews"),
    path("review-queue/", api.ReviewQueue.as_view(), name="api_review_queue"),
]
