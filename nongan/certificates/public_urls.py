"""Public routes, mounted at v/: /v/<code> (verify a certificate, no login) and /v/keys.json."""

from django.urls import path

from . import public_views

urlpatterns = [
    path("", public_views.lookup, name="certificates_lookup"),
    path("keys.json", public_views.keys_json, name="certificates_public_keys"),
    path("<str:code>", public_views.verify, name="certificates_verify"),
]
