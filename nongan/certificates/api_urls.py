from django.urls import path

from .api import CollectView, VerifyView

urlpatterns = [
    path("certificates-verify/", VerifyView.as_view(), name="certificates-verify"),
    path("certificates-collect/", CollectView.as_view(), name="certificates-collect"),
]
