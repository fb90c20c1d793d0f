"""Log-in, log-out and the home page."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator

from org import directory
from org.forms import ThrottledAuthenticationForm


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "org/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


def home(request: HttpRequest) -> HttpResponse:
    """The feed («Лента»): my open work first, what I may start, and what happened lately."""
    from engine.views import feed_context

    employee = getattr(request.user, "employee", None)
    manager = directory.line_manager(employee) if employee else None
    return render(request, "org/home.html", {"employee": employee, "manager": manager, **feed_context(request)})
