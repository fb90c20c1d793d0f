"""Discussions (api.md, "Files and discussion"): the comments of an instance and of a company card.
Thin over ``discussion.services``; who may see a thread is the instance's check (``engine.access``)
or the card's (every employee), the same as for the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from api.files import FileOut, file_out
from api.schemas import Id, LongText, Page, refusals
from base.errors import NotFound
from crm import threads as company_threads
from discussion import services
from discussion.models import Comment
from engine import access
from files.hooks import owner

router = Router(tags=["discussion"])


class DiscussionCommentOut(Schema):
    """One comment of a thread."""

    id: int
    author: str = Field(description="Автор (имя пользователя).")
    author_name: str = Field(description="Автор: фамилия, имя, отчество.")
    text: str = Field(description="Простой текст, без разметки.")
    files: list[FileOut] = Field(description="Вложения, в порядке отправки.")
    created_at: datetime
    edited_at: datetime | None = Field(description="Когда автор изменил комментарий; null — не изменялся.")


class DiscussionCommentIn(Schema):
    text: LongText = Field("", description="Текст; @имя_пользователя зовёт коллегу в обсуждение.")
    files: list[Id] = Field(
        default_factory=list, max_length=services.MAX_FILES, description="Номера загруженных файлов (POST /files)."
    )


class DiscussionCommentEdit(Schema):
    text: LongText = Field("", description="Новый текст (в течение 15 минут после публикации).")


def comment_out(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": comment.author.username,
        "author_name": comment.author.full_name,
        "text": comment.text,
        "files": [file_out(stored) for stored in getattr(comment, "files", [])],
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
    }


def _instance_thread(request: HttpRequest, instance_id: int) -> str:
    access.get_instance_for_user(request.user, instance_id)  # 404 for whoever may not see it
    return owner(access.THREAD, instance_id)


def _company_thread(request: HttpRequest, company_id: int) -> str:
    if not company_threads.may_see(request.user, str(company_id)):
        raise NotFound(_("Контрагент не найден."))
    return owner(company_threads.THREAD, company_id)


def _list(request: HttpRequest, thread: str) -> dict[str, Any]:
    comments = [comment_out(c) for c in services.thread(request.user, thread)]
    return {"items": comments, "count": len(comments)}


def _post(request: HttpRequest, thread: str, payload: DiscussionCommentIn) -> Status:
    return Status(201, comment_out(services.post(request.user, thread, payload.text, files=payload.files)))


def _edit(request: HttpRequest, thread: str, comment_id: int, payload: DiscussionCommentEdit) -> dict[str, Any]:
    return comment_out(services.edit(request.user, comment_id, payload.text, owner=thread))


_LIST = {200: Page[DiscussionCommentOut], **refusals(400, 404)}
_NEW = {201: DiscussionCommentOut, **refusals(400, 403, 404)}
_EDITED = {200: DiscussionCommentOut, **refusals(400, 403, 404)}


@router.get("/instances/{instance_id}/comments", summary="Обсуждение процесса", response=_LIST)
def list_instance_comments(request: HttpRequest, instance_id: Id) -> dict[str, Any]:
    """Every comment of the instance's thread, oldest first (a thread is short: not paged); 404 for
    whoever may not see the instance."""
    return _list(request, _instance_thread(request, instance_id))


@router.post("/instances/{instance_id}/comments", summary="Написать в обсуждение процесса", response=_NEW)
def create_instance_comment(request: HttpRequest, instance_id: Id, payload: DiscussionCommentIn) -> Status:
    """400 for an empty or too long text or a file that is not the caller's to attach (someone
    else's upload, a file already attached elsewhere); 403 for a caller who is not an employee.
    ``@username`` of an active employee notifies them (kind ``comment``) and lets them read the
    instance from then on; the instance's starter and assignees are notified too."""
    return _post(request, _instance_thread(request, instance_id), payload)


@router.patch(
    "/instances/{instance_id}/comments/{comment_id}", summary="Исправить комментарий к процессу", response=_EDITED
)
def edit_instance_comment(
    request: HttpRequest, instance_id: Id, comment_id: Id, payload: DiscussionCommentEdit
) -> dict[str, Any]:
    """Its author only, within 15 minutes of posting (403 otherwise, with a sentence); a comment is
    never deleted."""
    return _edit(request, _instance_thread(request, instance_id), comment_id, payload)


@router.get("/companies/{company_id}/comments", summary="Обсуждение карточки контрагента", response=_LIST)
def list_company_comments(request: HttpRequest, company_id: Id) -> dict[str, Any]:
    """Every comment of the card's thread, oldest first; 404 for an unknown company."""
    return _list(request, _company_thread(request, company_id))


@router.post("/companies/{company_id}/comments", summary="Написать в обсуждение контрагента", response=_NEW)
def create_company_comment(request: HttpRequest, company_id: Id, payload: DiscussionCommentIn) -> Status:
    """As for an instance: 400, 403, 404; the card's responsible person, its head, earlier
    commenters and the mentioned are notified."""
    return _post(request, _company_thread(request, company_id), payload)


@router.patch(
    "/companies/{company_id}/comments/{comment_id}", summary="Исправить комментарий к контрагенту", response=_EDITED
)
def edit_company_comment(
    request: HttpRequest, company_id: Id, comment_id: Id, payload: DiscussionCommentEdit
) -> dict[str, Any]:
    """Its author only, within 15 minutes of posting (403 otherwise)."""
    return _edit(request, _company_thread(request, company_id), comment_id, payload)
