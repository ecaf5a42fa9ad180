from django.urls import path

from . import api_views

urlpatterns = [
    path("auth/token/", api_views.ObtainTokenView.as_view(), name="api-token"),
    path("auth/password/", api_views.PasswordChangeView.as_view(), name="api-password"),
]
