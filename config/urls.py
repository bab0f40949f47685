from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import healthz
from content.urls import api_urlpatterns as content_api
from review.audit.urls import api_urlpatterns as audit_api
from review.publishing.urls import api_urlpatterns as publishing_api
from review.urls import api_urlpatterns as review_api

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("review.urls")),
    path("", include("content.urls")),
    path("", include("review.publishing.urls")),
    path("", include("review.audit.urls")),
    path("", include("review.library.urls")),  # triage and the claims library: pages and API
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(content_api + review_api + publishing_api + audit_api)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from this URL too: no inline <script> under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
]
