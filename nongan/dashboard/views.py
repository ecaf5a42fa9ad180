"""The home page: the user's jurisdiction at a glance, read through each app's selectors."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from . import selectors


@login_required
def home(request):
    user = request.user
    if user.is_entity_role and user.producer_id:
        return redirect("registry:producer_detail", pk=user.producer_id)
    return render(
        request,
        "dashboard/home.html",
        {"section": "home", **selectors.registry_summary(user), **selectors.capability_summaries(user)},
    )
