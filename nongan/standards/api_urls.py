from django.urls import path

from .api import JudgeView

urlpatterns = [
    path("standards/judge/", JudgeView.as_view(), name="standards-judge"),
]
