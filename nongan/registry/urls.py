from django.urls import path

from . import views

app_name = "registry"

urlpatterns = [
    path("", views.producer_list, name="producer_list"),
    path("producers/", views.producer_list, name="index"),
    path("producers/new/", views.producer_create, name="producer_create"),
    path("producers/export.xlsx", views.producer_export, name="producer_export"),
    path("producers/template.xlsx", views.producer_template, name="producer_template"),
    path("producers/import/", views.producer_import, name="producer_import"),
    path("villages/", views.village_options, name="village_options"),
    path("producers/<int:pk>/", views.producer_detail, name="producer_detail"),
    path("producers/<int:pk>/edit/", views.producer_edit, name="producer_edit"),
    path("producers/<int:pk>/<str:kind>/new/", views.child_edit, name="child_create"),
    path("producers/<int:pk>/<str:kind>/<int:child_pk>/edit/", views.child_edit, name="child_edit"),
    path("producers/<int:pk>/<str:kind>/<int:child_pk>/delete/", views.child_delete, name="child_delete"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/new/", views.staff_edit, name="staff_create"),
    path("staff/<int:pk>/edit/", views.staff_edit, name="staff_edit"),
]
