"""The home page: the user's workbench — their to-do from every app (``nongan.core.todo``), then, for staff, the
figures of their jurisdiction read through each app's selectors (the district dashboard)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from nongan.core import todo

from . import selectors


@login_required
def home(request):
    user = request.user
    items = todo.items_for(user)
    ctx = {
        "section": "home",
        "todo": items,
        "todo_overdue": sum(i.overdue for i in items),
        "todo_total": sum(i.count for i in items),
    }
    if user.is_entity_role and not user.is_superuser:
        return render(request, "dashboard/home.html", ctx)
    # My jurisdiction's figures: the dashboard's, each against the jurisdiction's share of the plan
    # (monitoring.selectors.plan_progress); a district role reads the whole district here.
    ctx.update(selectors.registry_summary(user))
    ctx.update(selectors.capability_summaries(user))
    ctx["figures"] = True
    return render(request, "dashboard/home.html", ctx)
