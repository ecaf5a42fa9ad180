from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("token/", views.token, name="token"),
    path("imports/<int:pk>/", views.import_job, name="import_job"),
    path("imports/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("ledger/", views.ledger_view, name="ledger"),
]

# Names without a namespace: Django's auth and LOGIN_URL expect these.
root_urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
