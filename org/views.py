"""Log-in and log-out; the page «Отсутствия» (absences and who substitutes)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from base import listing
from base.errors import SoglasieError
from org import absences, directory
from org.access import employee_of
from org.forms import AbsenceForm, ThrottledAuthenticationForm, label


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


# --------------------------------------------------------------------------- «Отсутствия»

#: The list's views: my own absences, those of my reports, all I may see.
SHOWS = {
    "mine": gettext_lazy("Мои"),
    "reports": gettext_lazy("Моих сотрудников"),
    "all": gettext_lazy("Все, что я вижу"),
}


@require_http_methods(["GET", "POST"])
def absence_list(request: HttpRequest) -> HttpResponse:
    """The absences I see, and the form to enter one (for myself, a report, anyone for an
    administrator). A refusal of the service is shown next to the field it names."""
    me = employee_of(request.user)
    status = 200
    if request.method == "POST":
        form = AbsenceForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                absence = absences.create(by=request.user, **form.values())
            except SoglasieError as error:
                status = error.status
                if not error.errors:
                    form.add_error(None, error.message)
                for field, problems in error.errors.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                messages.success(
                    request,
                    _("Отсутствие сотрудника %(name)s с %(starts)s по %(ends)s внесено.")
                    % {
                        "name": absence.employee.full_name,
                        "starts": absence.starts.strftime("%d.%m.%Y"),
                        "ends": absence.ends.strftime("%d.%m.%Y"),
                    },
                )
                return redirect("absences")
        else:
            status = 400
    else:
        chosen = absences.enterable_for(request.user).filter(pk=me.pk).first() if me else None
        deputy = absences.default_substitute(chosen) if chosen else None
        form = AbsenceForm(initial={"employee": chosen, "substitute": deputy}, user=request.user)
    show = request.GET.get("show", "all")
    show = show if show in SHOWS else "all"
    rows = absences.AbsenceFilter().apply(request.user)
    if show == "mine":
        rows = rows.filter(employee=me) if me else rows.none()
    elif show == "reports":
        rows = rows.filter(employee__in=directory.reports_of(me)) if me else rows.none()
    page = listing.page(rows, request.GET.get("page"))
    today = absences.local_day()
    context = {
        "title": _("Отсутствия"),
        "form": form,
        "page": page,
        "rows": [
            (a, a.starts <= today <= a.ends, absences.may_enter_for(request.user, a.employee)) for a in page.items
        ],
        "today": today,
        "columns": [label("employee"), _("Дни"), label("substitute"), label("reason"), label("created_by"), ""],
        "query": urlencode({"show": show}),
        "show_tabs": [
            {"label": label, "query": urlencode({"show": value}), "active": value == show}
            for value, label in SHOWS.items()
        ],
    }
    return render(request, "org/absences.html", context, status=status)


@require_POST
def absence_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The row's button: an absence not yet begun is deleted, one under way ends today."""
    gone = absences.withdraw(pk, by=request.user)
    if gone is None:
        messages.success(request, _("Отсутствие удалено."))
    else:
        messages.success(request, _("Отсутствие заканчивается %(ends)s.") % {"ends": gone.ends.strftime("%d.%m.%Y")})
    return redirect("absences")
