"""URLs for publishing: publisher pages, the public website page, and the channel API (api_urlpatterns)."""

from django.urls import path

from review.publishing import api, views

urlpatterns = [
    path("channels/", views.channel_list, name="channel_list"),
    path(
        f"channels/{views.PUBLIC_CHANNEL}/articles/<id:pk>/",
        views.public_article,
        name="public_article",
    ),
    path("channels/<slug:slug>/", views.channel_detail, name="channel_detail"),
    path("publishing/due/", views.due_list, name="publish_due"),
    path("claims/<id:pk>/publish/", views.claim_publish, name="claim_publish"),
    path("claims/<id:pk>/publish/preview/", views.claim_publish_preview, name="claim_publish_preview"),
    path("articles/<id:pk>/publish/", views.article_publish, name="article_publish"),
    path("articles/<id:pk>/publish/preview/", views.article_publish_preview, name="article_publish_preview"),
    path("publications/<id:pk>/withdraw/", views.publication_withdraw, name="publication_withdraw"),
    path(
        "article-publications/<id:pk>/withdraw/",
        views.article_publication_withdraw,
        name="article_publication_withdraw",
    ),
]

api_urlpatterns = [
    path("channels/", api.ChannelList.as_view(), name="api_channels"),
    path("channels/<slug:slug>/feed/", api.ChannelFeed.as_view(), name="api_channel_feed"),
    path(
        "channels/<slug:slug>/articles/<id:article_id>/",
        api.ChannelArticle.as_view(),
        name="api_channel_article",
    ),
    path("claims/<id:pk>/publications/", api.ClaimPublications.as_view(), name="api_claim_publications"),
    path(
        "claims/<id:pk>/publications/preview/",
        api.ClaimPublicationPreview.as_view(),
        name="api_claim_publication_preview",
    ),
    path("publications/<id:pk>/withdraw/", api.PublicationWithdraw.as_view(), name="api_publication_withdraw"),
    path(
        "articles/<id:pk>/publications/",
        api.ArticlePublications.as_view(),
        name="api_article_publications",
    ),
    path(
        "article-publications/<id:pk>/withdraw/",
        api.ArticlePublicationWithdraw.as_view(),
        name="api_article_publication_withdraw",
    ),
]
