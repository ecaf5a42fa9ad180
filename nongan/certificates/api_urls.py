from django.urls import path

from .api import VerifyView

urlpatterns = [path("certificates-verify/", VerifyView.as_view(), name="certificates-verify")]
