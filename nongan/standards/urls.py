from django.urls import path

from . import views

app_name = "standards"

urlpatterns = [
    path("", views.index, name="index"),
    path("limits/", views.limit_list, name="limits"),
    path("vet-limits/", views.vet_limit_list, name="vet_limits"),
    path("vet-limits/export/", views.vet_limit_export, name="vet_limits_export"),
    path("editions/partial/", views.edition_partial, name="edition_partial"),  # POST edition=<id>
    path("analytes/", views.analyte_list, name="analytes"),
    path("analytes/edit/", views.analyte_edit, name="analyte_edit"),  # ?id=<analyte id>
    path("banned/", views.banned_list, name="banned"),
    path("restricted/", views.restricted_list, name="restricted"),
    path("judge/", views.judge_page, name="judge"),
    path("import/", views.import_page, name="import"),
    path("import/official-template.xlsx", views.official_template, name="official_template"),
    path("import/<int:pk>/", views.import_result, name="import_result"),
    path("import/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
]
