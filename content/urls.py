from django.urls import path

from content import api, views

urlpatterns = [
    path("articles/", views.article_list, name="article_list"),
    path("articles/import/", views.article_import, name="article_import"),
    path("articles/import/<id:pk>/", views.import_job, name="import_job"),
    path("articles/<id:pk>/", views.article_detail, name="article_detail"),
    path("articles/<id:pk>/rename/", views.article_rename, name="article_rename"),
    path("articles/<id:pk>/submit/", views.article_submit_all, name="article_submit_all"),
    path("articles/<id:pk>/archive/", views.article_archive, name="article_archive"),
    path("claims/<id:pk>/edit/", views.claim_edit, name="claim_edit"),
    path("claims/<id:pk>/split/", views.claim_split, name="claim_split"),
    path("claims/<id:pk>/merge/", views.claim_merge, name="claim_merge"),
    path("claims/<id:pk>/submit/", views.claim_submit, name="claim_submit"),
    path("claims/<id:pk>/retire/", views.claim_retire, name="claim_retire"),
    path("claims/<id:pk>/recall/", views.claim_recall, name="claim_recall"),
    path("claims/<id:pk>/history/", views.claim_history, name="claim_history"),
]

api_urlpatterns = [
    path("articles/", api.ArticleList.as_view(), name="api_articles"),
    path("articles/<id:pk>/", api.ArticleDetail.as_view(), name="api_article"),
    path("import-jobs/<id:pk>/", api.ImportJobDetail.as_view(), name="api_import_job"),
    path("articles/<id:pk>/archive/", api.ArticleArchive.as_view(), name="api_article_archive"),
    path("claims/", api.ClaimList.as_view(), name="api_claims"),
    path("claims/<id:pk>/", api.ClaimDetail.as_view(), name="api_claim"),
    path("claims/<id:pk>/versions/", api.ClaimVersions.as_view(), name="api_claim_versions"),
    path("claims/<id:pk>/submit/", api.ClaimSubmit.as_view(), name="api_claim_submit"),
    path("claims/<id:pk>/retire/", api.ClaimRetire.as_view(), name="api_claim_retire"),
    path("claims/<id:pk>/recall/", api.ClaimRecall.as_view(), name="api_claim_recall"),
    path("triage/rules/", api.TriageRules.as_view(), name="api_triage_rules"),
]
