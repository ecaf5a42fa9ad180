from django.contrib.auth import views as auth_views
from django.urls import path

from . import account_views, views

app_name = "core"

urlpatterns = [
    path("token/", account_views.tokens, name="token"),
    path("account/password/", account_views.password_change, name="password_change"),
    path("account/reset/<str:secret>/", account_views.password_reset, name="password_reset"),
    path("users/", account_views.users, name="users"),
    path("users/<int:pk>/", account_views.user_detail, name="user_detail"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/export.xlsx", views.import_list_export, name="import_list_export"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("ledger/", views.ledger_view, name="ledger"),
    path("ledger/export.xlsx", views.ledger_export, name="ledger_export"),
    path("ledger/checkpoints/", views.ledger_checkpoints, name="ledger_checkpoints"),
    path("ledger/checkpoints.json", views.ledger_checkpoints, name="ledger_checkpoints_json"),
]

# Names without a namespace: Django's auth and LOGIN_URL expect these.
root_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
