from django.urls import path

from review import api, views
from review.dashboard import views as dashboard_views
from review.operations import api as operations_api
from review.operations import views as operations_views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("review/queue/", views.queue, name="review_queue"),
    path("review/next/", views.next_claim, name="review_next"),
    path("claims/<id:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<id:pk>/review/", views.claim_review, name="claim_review"),
    path("claims/<id:pk>/review/open/", views.claim_review_open, name="claim_review_open"),
    path("claims/<id:pk>/recertify/", operations_views.claim_recertify, name="claim_recertify"),
    path("claims/<id:pk>/assign/", operations_views.claim_assign, name="claim_assign"),
    path("assignments/<id:pk>/accept/", operations_views.assignment_accept, name="assignment_accept"),
    path("assignments/<id:pk>/handover/", operations_views.assignment_handover, name="assignment_handover"),
]

api_urlpatterns = [
    path("claims/<id:pk>/reviews/", api.ClaimReviews.as_view(), name="api_claim_reviews"),
    path("review-queue/", api.ReviewQueue.as_view(), name="api_review_queue"),
    path("claims/<id:pk>/recertify/", operations_api.ClaimRecertify.as_view(), name="api_claim_recertify"),
    path("due/", operations_api.DueList.as_view(), name="api_due"),
    path("assignments/", operations_api.Assignments.as_view(), name="api_assignments"),
    path("assignments/<id:pk>/accept/", operations_api.AssignmentAccept.as_view(), name="api_assignment_accept"),
    path("assignments/<id:pk>/handover/", operations_api.AssignmentHandover.as_view(), name="api_assignment_handover"),
]
