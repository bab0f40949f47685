"""URLs for publishing: publisher pages, the public website page, and the channel API (api_urlpatterns)."""

from django.urls import path

from review import channels_api, publishing_views

urlpatterns = [
    path("channels/", publishing_views.channel_list, name="channel_list"),
    path(
        f"channels/{publishing_views.PUBLIC_CHANNEL}/articles/<int:pk>/",
        publishing_views.public_article,
        name="public_article",
    ),
    path("channels/<slug:slug>/", publishing_views.channel_detail, name="channel_detail"),
    path("publishing/due/", publishing_views.due_list, name="publish_due"),
    path("claims/<int:pk>/publish/", publishing_views.claim_publish, name="claim_publish"),
    path("articles/<int:pk>/publish/", publishing_views.article_publish, name="article_publish"),
    path("publications/<int:pk>/withdraw/", publishing_views.publication_withdraw, name="publication_withdraw"),
    path(
        "article-publications/<int:pk>/withdraw/",
        publishing_views.article_publication_withdraw,
        name="article_publication_withdraw",
    ),
]

api_urlpatterns = [
    path("channels/", channels_api.ChannelList.as_view(), name="api_channels"),
    path("channels/<slug:slug>/feed/", channels_api.ChannelFeed.as_view(), name="api_channel_feed"),
    path(
        "channels/<slug:slug>/articles/<int:article_id>/",
        channels_api.ChannelArticle.as_view(),
        name="api_channel_article",
    ),
    path("claims/<int:pk>/publications/", channels_api.ClaimPublications.as_view(), name="api_claim_publications"),
    path(
        "publications/<int:pk>/withdraw/", channels_api.PublicationWithdraw.as_view(), name="api_publication_withdraw"
    ),
    path(
        "articles/<int:pk>/publications/",
        channels_api.ArticlePublications.as_view(),
        name="api_article_publications",
    ),
    path(
        "article-publications/<int:pk>/withdraw/",
        channels_api.ArticlePublicationWithdraw.as_view(),
        name="api_article_publication_withdraw",
    ),
]
