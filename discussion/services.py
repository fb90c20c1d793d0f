"""The discussion room's service functions: what the pages and the API call.

- :func:`post` writes a comment (its attachments through ``files.services``, its ``@username``
  mentions as :class:`~discussion.models.Participant` s) and sends ``comment_posted`` in the same
  transaction; :func:`edit` lets its author correct it for :data:`EDIT_WINDOW`; nothing deletes one;
- :func:`thread` reads a thread for whoever may see it; :func:`may_see` and
  :func:`get_comment_for_user` are the room's one permission check (the kinds answer through
  ``discussion.hooks``);
- :func:`participants` and :func:`commenters` say who belongs to a thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from base import clock, texts
from base.errors import Forbidden, Invalid, NotFound
from discussion import hooks
from discussion.models import Comment, Participant, Why
from discussion.signals import comment_posted
from files import hooks as file_hooks
from files import services as stored_files
from files.models import Document, StoredFile
from org.access import employee_of
from org.models import Employee

#: How long after posting its author may still correct a comment; then it is history.
EDIT_WINDOW = timedelta(minutes=15)
#: The most attachments one comment carries.
MAX_FILES = 20
#: The files owner kind of a comment's attachments: ``comment:<id>``.
ATTACHMENTS = "comment"
#: ``@username`` at the start of the text or after anything but a letter, a digit or ``@`` (so an
#: e-mail address is no mention); the name ends on a letter or digit (a full stop after it is the
#: sentence's).
_MENTION = re.compile(r"(?<![\w@.])@([\w.+-]*\w)")


# --------------------------------------------------------------------------- seeing


def may_see(user: Any, owner: str) -> bool:
    """Whoever the thread's kind lets see its owner (administrators included, when the owner
    exists); a kind nobody registered, or an owner string that is not one, nobody."""
    if user is None or not user.is_authenticated:
        return False
    try:
        kind, owner_id = file_hooks.split_owner(owner)
    except ValueError:
        return False
    registered = hooks.thread_kind(kind)
    return registered is not None and bool(registered.may_see(user, owner_id))


def check_seen(user: Any, owner: str) -> None:
    """``NotFound`` unless the user may see the thread: what does not exist answers the same."""
    if not may_see(user, owner):
        raise NotFound(_("Обсуждение не найдено."))


def thread(user: Any, owner: str) -> list[Comment]:
    """The thread's comments, oldest first, each with its authors' names and its ``files`` (the
    attachments, in the order sent); ``NotFound`` for whoever may not see the owner. Three queries
    whatever the length of the thread."""
    check_seen(user, owner)
    comments = list(Comment.objects.filter(owner=owner).select_related("author__user"))
    _with_files(comments)
    return comments


def _with_files(comments: list[Comment]) -> None:
    owners = {file_hooks.owner(ATTACHMENTS, c.pk): c for c in comments}
    for comment in comments:
        comment.files = []  # type: ignore[attr-defined]
    if not owners:
        return
    versions = StoredFile.objects.select_related("uploaded_by__user", "document").order_by("version")
    documents = (
        Document.objects.filter(owner__in=owners)
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("created_at", "pk")
    )
    for document in documents:
        owners[document.owner].files.extend(document.versions.all())  # type: ignore[attr-defined]


def get_comment_for_user(user: Any, pk: int, *, owner: str | None = None) -> Comment:
    """The comment (of ``owner``'s thread, when given), or ``NotFound`` when it does not exist or
    its thread is not the user's to see."""
    comment = Comment.objects.select_related("author__user").filter(pk=pk).first()
    if comment is None or (owner is not None and comment.owner != owner) or not may_see(user, comment.owner):
        raise NotFound(_("Комментарий не найден."))
    _with_files([comment])
    return comment


def may_edit(user: Any, comment: Comment) -> bool:
    """Its author, for :data:`EDIT_WINDOW` after posting (what the page's «Изменить» shows)."""
    me = employee_of(user)
    return me is not None and comment.author_id == me.pk and clock.now() - comment.created_at <= EDIT_WINDOW


# --------------------------------------------------------------------------- writing


def post(user: Any, owner: str, text: str, files: Iterable[int | str] = ()) -> Comment:
    """Write a comment in ``owner``'s thread as ``user``, with the stored files ``files`` attached.

    ``NotFound`` for a thread the user may not see, ``Forbidden`` for a user who is not an active
    employee, ``Invalid`` (``text``, ``files``) for an empty or too long text or a file that is not
    the user's to attach — and then nothing is written. The ``@username`` of active employees
    become participants (who may see the owner from then on); other ``@words`` stay plain text.
    ``comment_posted`` goes out in the transaction, after the rows are written.
    """
    check_seen(user, owner)
    me = _author(user)
    text = _checked_text(text)
    file_ids = list(dict.fromkeys(files))
    _check_files(file_ids, me)
    now = clock.now()
    with transaction.atomic():
        comment = Comment.objects.create(owner=owner, author=me, text=text, created_at=now)
        attachments = file_hooks.owner(ATTACHMENTS, comment.pk)
        for n, file_id in enumerate(file_ids):
            stored_files.attach([file_id], owner=attachments, slot=f"files.{n}", by=me)
        mentioned = _join(comment, mentions(text))
        _announce(comment, mentioned, participants(owner))
    _with_files([comment])
    return comment


def edit(user: Any, comment_id: int, text: str, *, owner: str | None = None) -> Comment:
    """Correct a comment: its author only (``Forbidden`` for anyone else), during :data:`EDIT_WINDOW`
    after posting (``Forbidden`` with a sentence after it). Someone newly mentioned joins the thread
    and is told, as on posting; the others are not told again."""
    comment = get_comment_for_user(user, comment_id, owner=owner)
    me = employee_of(user)
    if me is None or comment.author_id != me.pk:
        raise Forbidden(_("Изменить комментарий может только его автор."))
    if clock.now() - comment.created_at > EDIT_WINDOW:
        too_late = _("Комментарий можно изменить только в первые 15 минут после публикации: он уже стал историей.")
        raise Forbidden(too_late)
    text = _checked_text(text)
    earlier = {e.pk for e in mentions(comment.text)}
    with transaction.atomic():
        comment.text, comment.edited_at = text, clock.now()
        comment.save(update_fields=["text", "edited_at"])
        mentioned = _join(comment, [e for e in mentions(text) if e.pk not in earlier])
        if mentioned:
            _announce(comment, mentioned, [])
    return comment


def _author(user: Any) -> Employee:
    me = employee_of(user)
    if me is None or not me.is_active:
        raise Forbidden(_("Писать в обсуждении могут только сотрудники."))
    return me


def _checked_text(text: Any) -> str:
    text = (text if isinstance(text, str) else "").strip()
    if not text:
        raise Invalid({"text": [_("Напишите текст комментария.")]})
    problems = texts.text_problems(text, texts.MAX_TEXT)
    if problems:
        raise Invalid({"text": problems})
    return text


def _check_files(file_ids: list[int | str], me: Employee) -> None:
    if len(file_ids) > MAX_FILES:
        raise Invalid({"files": [_("Не больше %(n)s файлов в одном комментарии.") % {"n": MAX_FILES}]})
    problems = [problem for file_id in file_ids if (problem := stored_files.refusal(file_id, by=me)) is not None]
    if problems:
        raise Invalid({"files": problems})


def mentions(text: str) -> list[Employee]:
    """The active employees the text mentions by ``@username``, in the order first mentioned; a name
    nobody active has is left as text."""
    names = list(dict.fromkeys(_MENTION.findall(text)))
    if not names:
        return []
    found = {
        e.user.username: e
        for e in Employee.objects.select_related("user").filter(
            user__username__in=names, is_active=True, user__is_active=True
        )
    }
    return [found[name] for name in names if name in found]


def _join(comment: Comment, mentioned: list[Employee]) -> list[Employee]:
    """The mentioned people (the author left out) become participants of the thread, once each."""
    mentioned = [e for e in mentioned if e.pk != comment.author_id]
    add_participants(comment.owner, mentioned, why=Why.MENTIONED, comment=comment, since=comment.created_at)
    return mentioned


def add_participants(
    owner: str,
    people: Iterable[Employee],
    *,
    why: str = Why.RECIPIENT,
    comment: Comment | None = None,
    since: Any = None,
) -> None:
    """Let ``people`` read ``owner`` and its thread from now on (once each; who already is stays as
    they joined). A process that sends its documents to people outside it calls this with
    ``Why.RECIPIENT``, so the link in their notice opens the documents instead of "not found"."""
    kind, owner_id = file_hooks.split_owner(owner)
    owner_pk = hooks.pk_of(owner_id)
    people = list(people)
    if not people or owner_pk is None:
        return
    Participant.objects.bulk_create(
        [
            Participant(
                owner=owner,
                owner_kind=kind,
                owner_pk=owner_pk,
                employee=e,
                why=why,
                comment=comment,
                since=since or clock.now(),
            )
            for e in people
        ],
        ignore_conflicts=True,
    )


def _announce(comment: Comment, mentioned: list[Employee], told: list[Employee]) -> None:
    kind, owner_id = file_hooks.split_owner(comment.owner)
    registered = hooks.thread_kind(kind)
    title = registered.title(owner_id) if registered else comment.owner
    url = (registered.url(owner_id) if registered else "/") + f"#comment-{comment.pk}"
    comment_posted.send(
        sender=Comment,
        comment=comment,
        participants=[e for e in told if e.pk != comment.author_id],
        mentioned=mentioned,
        title=title,
        url=url,
    )


# --------------------------------------------------------------------------- who belongs


def participants(owner: str) -> list[Employee]:
    """The thread's people: those its kind names (``participants`` of the hook) and those who
    joined it by a mention; active ones only, each once."""
    kind, owner_id = file_hooks.split_owner(owner)
    registered = hooks.thread_kind(kind)
    people: dict[int, Employee] = {}
    for employee in registered.participants(owner_id) if registered else ():
        if employee is not None:
            people.setdefault(employee.pk, employee)
    joined = Employee.objects.select_related("user").filter(discussions__owner=owner)
    for employee in joined:
        people.setdefault(employee.pk, employee)
    return [e for e in people.values() if e.is_active]


def commenters(owner: str) -> list[Employee]:
    """Everyone who has written in the thread, in the order of their first comment."""
    seen: dict[int, Employee] = {}
    for comment in Comment.objects.filter(owner=owner).select_related("author__user"):
        seen.setdefault(comment.author_id, comment.author)
    return list(seen.values())


def joined(kind: str, people: Iterable[int] | Any) -> Any:
    """The ids of the ``kind`` owners whose threads list one of ``people`` (employee ids, or a
    queryset of them) as a participant: a subquery for the owner kind's own visibility check
    (``Instance.objects.filter(pk__in=joined("instance", people))`` stays one query)."""
    return Participant.objects.filter(owner_kind=kind, employee__in=people).values("owner_pk")


# --------------------------------------------------------------------------- attachments


def _attachment_seen(user: Any, comment_id: str) -> bool:
    """A comment's attachment is seen by whoever sees its thread."""
    pk = hooks.pk_of(comment_id)
    if pk is None:
        return False
    owner = Comment.objects.filter(pk=pk).values_list("owner", flat=True).first()
    return owner is not None and may_see(user, owner)


def register_attachments() -> None:
    """The files owner kind ``comment``: its files are seen by whoever may see the comment's thread."""
    file_hooks.register_owner(ATTACHMENTS, may_see=_attachment_seen)
