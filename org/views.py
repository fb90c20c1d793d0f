"""Log-in and log-out."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.utils.decorators import method_decorator

from org.forms import ThrottledAuthenticationForm


@method_decorator(login_not_required, name="dispatch")
class LoginView(auth_views.LoginView):
    template_name = "org/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_invalid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        """A locked log-in is shown in place, next to the form, but answers 429 with ``Retry-After``
        like every other refusal for too many attempts: scripts and monitors read the status."""
        response = super().form_invalid(form)
        if form.locked is not None:
            response.status_code = form.locked.status
            form.locked.add_headers(response)
        return response


class LogoutView(auth_views.LogoutView):
    pass
