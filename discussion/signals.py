"""``comment_posted``: sent inside the transaction that saved a comment, after its rows are written
(as the engine's events reach their listeners), so the notifications a listener writes commit or
roll back with the comment, and nothing is mailed before the commit (the outbox is sent after it).

Arguments: ``comment`` (the saved :class:`~discussion.models.Comment`), ``participants`` (the
employees of the thread to tell, the author left out), ``mentioned`` (the employees its text
mentions, the author left out), ``title`` and ``url`` (the thread's, from its kind).
"""

from __future__ import annotations

from django.dispatch import Signal

comment_posted = Signal()
