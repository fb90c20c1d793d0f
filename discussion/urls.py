"""Pages of the discussion: posting a comment and correcting one (the thread is a fragment of the
instance page and the card)."""

from django.urls import path

from discussion import views

urlpatterns = [
    path("discussion/<slug:kind>/<int:pk>/comments/", views.post, name="discussion_post"),
    path("discussion/comments/<int:pk>/edit/", views.edit, name="comment_edit"),
]
