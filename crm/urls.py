"""Pages of the crm app."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
