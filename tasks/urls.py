"""Pages of the tasks app."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
