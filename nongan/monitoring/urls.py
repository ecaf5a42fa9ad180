from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.index, name="index"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/new/", views.plan_edit, name="plan_create"),
    path("plans/<int:year>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:year>/", views.progress, name="progress"),
    path("plans/<int:year>/shares/<str:code>/", views.village_shares, name="village_shares"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/from-draw/", views.tasks_from_draw, name="tasks_from_draw"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("samples/", views.sample_list, name="sample_list"),
    path("samples/export.xlsx", views.sample_export, name="sample_export"),
    path("samples/new/", views.sample_create, name="sample_create"),
    path("samples/new/producers/", views.sample_producer_options, name="sample_producer_options"),
    path("samples/new/producer-parts/", views.sample_producer_parts, name="sample_producer_parts"),
    path("samples/<str:code>/", views.sample_detail, name="sample_detail"),
    path("samples/<str:code>/transition/", views.sample_transition, name="sample_transition"),
    path("samples/<str:code>/confirm/", views.sample_confirm, name="sample_confirm"),
    path("photos/<int:pk>", views.photo_file, name="photo_file"),
    path("samples/<str:code>/print.pdf", views.sample_print, name="sample_print"),
    path("samples/<str:code>/results/", views.results_enter, name="results_enter"),
    path("results/<int:pk>/correct/", views.result_correct, name="result_correct"),
    path("results/import/", views.results_import, name="results_import"),
    path("results/template.xlsx", views.results_template, name="results_template"),
    path("rapid/", views.rapid_list, name="rapid_list"),
    path("rapid/export.xlsx", views.rapid_export, name="rapid_export"),
    path("rapid/new/", views.rapid_create, name="rapid_create"),
    path("rapid/import/", views.rapid_import, name="rapid_import"),
    path("rapid/template.xlsx", views.rapid_template, name="rapid_template"),
    path("rapid/holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("rapid/integrity/", views.integrity, name="integrity"),
    path("follow-ups/", views.follow_up_list, name="follow_up_list"),
    path("follow-ups/export.xlsx", views.follow_up_export, name="follow_up_export"),
    path("follow-ups/<int:pk>/", views.follow_up_detail, name="follow_up_detail"),
    path("public/", views.public, name="public"),
]
