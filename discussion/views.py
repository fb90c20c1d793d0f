"""The discussion's pages: the thread fragment the instance page and the card include
(:func:`thread_context` builds what ``templates/discussion/_thread.html`` shows), and the two posts
it sends — a new comment and the author's correction — which go back to the page they came from.

A refusal (an empty text, a file not the user's) is shown on that page as a message; a thread the
user may not see answers 404 like everything else (``discussion.services`` checks it).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from base.errors import Forbidden, Invalid, SoglasieError, TooLarge
from discussion import hooks, services
from files import hooks as file_hooks
from files import services as stored_files
from files.http import uploaded_file
from org.access import employee_of


def thread_context(user: Any, owner: str) -> dict[str, Any]:
    """What the thread fragment needs: the comments (each with ``may_edit``), where to post, and
    whether the user may write (an active employee)."""
    kind, owner_id = file_hooks.split_owner(owner)
    comments = services.thread(user, owner)
    me = employee_of(user)
    return {
        "owner": owner,
        "comments": [{"comment": c, "may_edit": services.may_edit(user, c)} for c in comments],
        "post_url": reverse("discussion_post", args=[kind, owner_id]),
        "may_post": me is not None and me.is_active,
    }


def _back(owner: str, anchor: str = "discussion") -> HttpResponse:
    kind, owner_id = file_hooks.split_owner(owner)
    registered = hooks.thread_kind(kind)
    return redirect((registered.url(owner_id) if registered else "/") + f"#{anchor}")


@require_POST
def post(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """A new comment: ``text``, the ids the upload fragment put into ``files`` and, without
    JavaScript, the file chosen in ``file`` (stored here first)."""
    owner = file_hooks.owner(kind, pk)
    services.check_seen(request.user, owner)  # before storing anything: 404 for whoever may not see it
    file_ids: list[int | str] = [v for v in request.POST.getlist("files") if v.strip()]
    try:
        upload = _chosen_file(request)
        if upload is not None:
            me = employee_of(request.user)
            if me is None:
                raise Forbidden(_("Писать в обсуждении могут только сотрудники."))
            file_ids.append(stored_files.store(upload, by=me).pk)
        comment = services.post(request.user, owner, request.POST.get("text", ""), files=file_ids)
    except (Invalid, Forbidden, TooLarge) as error:
        _say(request, error)
        return _back(owner)
    return _back(owner, f"comment-{comment.pk}")


def _chosen_file(request: HttpRequest) -> Any:
    """The file of the plain file input, when one was sent (the script sends only its id)."""
    try:
        return uploaded_file(request)
    except Invalid:
        return None  # no file chosen: a comment without a new attachment


@require_POST
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The author's correction of a comment (``text``), during the first 15 minutes."""
    comment = services.get_comment_for_user(request.user, pk)
    try:
        services.edit(request.user, pk, request.POST.get("text", ""))
    except (Invalid, Forbidden) as error:
        _say(request, error)
    else:
        messages.success(request, _("Комментарий изменён."))
    return _back(comment.owner, f"comment-{comment.pk}")


def _say(request: HttpRequest, error: SoglasieError) -> None:
    sentences = [message for problems in error.errors.values() for message in problems] or [error.message]
    messages.error(request, " ".join(sentences))
