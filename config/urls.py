from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import healthz
from content.urls import api_urlpatterns as content_api
from review.compliance_urls import api_urlpatterns as compliance_api
from review.publishing_urls import api_urlpatterns as publishing_api
from review.urls import api_urlpatterns as review_api

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("review.urls")),
    path("", include("content.urls")),
    path("", include("review.publishing_urls")),
    path("", include("review.compliance_urls")),
    path("", include("review.library_urls")),  # triage and the claims library (issue 8): pages and API
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(content_api + review_api + publishing_api + compliance_api)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from this URL too: no inline <script> under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
]
