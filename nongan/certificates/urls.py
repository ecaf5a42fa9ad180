from django.urls import path

from . import views

app_name = "certificates"

urlpatterns = [
    path("", views.index, name="index"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/export.xlsx", views.batch_list_export, name="batch_list_export"),
    path("batches/new/", views.batch_create, name="batch_create"),
    path("batches/<str:code>/", views.batch_detail, name="batch_detail"),
    path("inputs/<int:pk>/edit/", views.input_edit, name="input_edit"),
    path("labels/", views.labels_page, name="labels"),
    path("labels.pdf", views.labels_pdf, name="labels_pdf"),
    path("labels/printed/", views.labels_printed, name="labels_printed"),
    path("collect/", views.collect, name="collect"),
    path("collections/", views.collections, name="collections"),
    path("reissue/", views.reissue, name="reissue"),
    path("market-checks/", views.market_checks, name="market_checks"),
    path("market-checks/export.xlsx", views.market_checks_export, name="market_checks_export"),
    path("key-target-proposals/", views.key_target_proposals, name="key_target_proposals"),
    path(
        "key-target-proposals/export.xlsx",
        views.key_target_proposals_export,
        name="key_target_proposals_export",
    ),
    path("trace/", views.trace, name="trace"),
    path("trace.<str:fmt>", views.trace_export, name="trace_export"),
    path("coverage/", views.coverage, name="coverage"),
    path("keys/rotate/", views.keys_rotate, name="keys_rotate"),
    path("suspected/", views.suspected, name="suspected"),
    path("c/<str:number>/suspicion/", views.suspicion_review, name="suspicion_review"),
    path("c/<str:number>/", views.detail, name="detail"),
    path("c/<str:number>/qr.svg", views.qr_image, name="qr"),
]
