from django.urls import path

from . import views

app_name = "draws"

urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.rounds_export, name="rounds_export"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/export.json", views.export, name="export"),
    path("<int:pk>/<str:name>/", views.action, name="action"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("conflicts/<int:pk>/withdraw/", views.conflict_withdraw, name="conflict_withdraw"),
    # public, no login
    path("public/", views.public_index, name="public_index"),
    path("public/draw_verify.py", views.verify_script, name="verify_script"),
    path("public/<str:code>/", views.public_detail, name="public_detail"),
    path("public/<str:code>.json", views.public_export, name="public_export"),
]
