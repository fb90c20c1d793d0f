"""One way to list things, for the pages and the API alike: a filter, one pager, "me".

Each list (assignments, instances, tasks, companies) has one filter specification, a small frozen
dataclass next to its data (``engine.queries``, ``tasks.queries``, ``crm.queries``) whose
``apply(queryset, user)`` filters *and orders*. A page builds it from its URL parameters, the API
from its query parameters (the names of each are a contract and stay as they are), and both then
hand the result to :func:`window`: the same rows in the same order, counted the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

#: The page size of the lists on the pages, and the API's default ``limit``.
PAGE_SIZE = 50
#: The most rows one API call returns.
MAX_LIMIT = 500


@dataclass
class Window:
    """Some rows of a list and how many there are in all; also what ``templates/_pager.html`` reads."""

    items: list[Any]
    count: int
    limit: int
    offset: int
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return self.offset // self.limit + 1

    @property
    def num_pages(self) -> int:
        return max(1, math.ceil(self.count / self.limit))

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.count

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def window(queryset: QuerySet[Any], *, limit: int = PAGE_SIZE, offset: int = 0) -> Window:
    """Rows ``offset`` to ``offset + limit`` of a filtered, ordered list, and the count of all.

    The rows first: a window that is not full and not empty ends the list, so its count is known
    without a second query (most API calls ask for one short list: "my open assignments").
    """
    items = list(queryset[offset : offset + limit])
    count = offset + len(items) if items and len(items) < limit else queryset.count()
    return Window(items=items, count=count, limit=limit, offset=offset)


def page(queryset: QuerySet[Any], number: Any, *, size: int = PAGE_SIZE) -> Window:
    """Page ``number`` of a list (``?page=`` of a page's URL): not a number means the first page,
    past the end the last, as people expect of a link they kept."""
    count = queryset.count()
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        wanted = 1
    pages = max(1, math.ceil(count / size))
    offset = (min(max(wanted, 1), pages) - 1) * size
    items = list(queryset[offset : offset + size]) if count else []
    return Window(items=items, count=count, limit=size, offset=offset)


def username_of(value: str | None, user: Any) -> str:
    """A person parameter: a username, or ``me`` for the caller."""
    value = (value or "").strip()
    return user.get_username() if value == "me" else value
