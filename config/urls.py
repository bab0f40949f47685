from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseBase, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import URLPattern, include, path, reverse_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config.health import healthz
from config.security import PacedLoginView, ThrottledPasswordChangeView
from content.urls import api_urlpatterns as content_api
from review.audit.urls import api_urlpatterns as audit_api
from review.discussion.urls import api_urlpatterns as discussion_api
from review.publishing.urls import api_urlpatterns as publishing_api
from review.urls import api_urlpatterns as review_api


def account_patterns(*, password_reset: bool) -> list[URLPattern]:
    """The paced login, logout and the throttled password change; the reset views only when enabled.

    Not django.contrib.auth.urls: that routes password reset, which mails a login link,
    whether or not the deployment has mail or wants it (PASSWORD_RESET_ENABLED).
    """
    patterns = [
        path("login/", PacedLoginView.as_view(), name="login"),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
        path("password_change/", ThrottledPasswordChangeView.as_view(), name="password_change"),
        path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    ]
    if password_reset:
        patterns += [
            path("password_reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
            path("password_reset/done/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
            path(
                "reset/<uidb64>/<token>/",
                auth_views.PasswordResetConfirmView.as_view(),
                name="password_reset_confirm",
            ),
            path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
        ]
    return patterns


def _admin_password_change(request: HttpRequest) -> HttpResponseBase:
    # The admin's own password change goes through the same throttle, in the admin's frame.
    view = ThrottledPasswordChangeView.as_view(
        success_url=reverse_lazy("admin:password_change_done"), extra_context=admin.site.each_context(request)
    )
    return view(request)


admin_password_change = admin.site.admin_view(_admin_password_change)


def favicon(request: HttpRequest) -> HttpResponseBase:
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, a JSON response).
    # Resolved per request: in production the hashed name exists only after collectstatic.
    return HttpResponsePermanentRedirect(static("favicon.svg"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("", include("review.urls")),
    path("", include("content.urls")),
    path("", include("review.publishing.urls")),
    path("", include("review.audit.urls")),
    path("", include("review.library.urls")),  # triage and the claims library: pages and API
    path("", include("review.discussion.urls")),  # comments on the words and suggested wording
    path("", include("review.inbox.urls")),  # everyone's notifications: pages and API
    path("", include("content.search.urls")),  # search across articles and claims: page and API
    path("accounts/", include(account_patterns(password_reset=settings.PASSWORD_RESET_ENABLED))),
    path("admin/password_change/", admin_password_change, name="admin_password_change"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(content_api + review_api + publishing_api + audit_api + discussion_api)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from this URL too: no inline <script> under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
]
