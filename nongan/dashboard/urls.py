from django.urls import path

from . import views

# The home page keeps its name without a namespace: LOGIN_REDIRECT_URL and every template use "home".
urlpatterns = [path("", views.home, name="home")]
