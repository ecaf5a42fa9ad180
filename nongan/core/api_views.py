"""Core API: tokens and the region tree."""

from rest_framework.authtoken.views import ObtainAuthToken


class ObtainTokenView(ObtainAuthToken):
    """POST username and password; returns {"token": …} for `Authorization: Token <key>`."""
