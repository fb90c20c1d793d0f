"""Pages of the analytics app: «Показатели», its exports and the baseline form."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("analytics/", views.analytics, name="analytics"),
    path("analytics/baseline/", views.baseline, name="analytics_baseline"),
    path("analytics/export.<str:fmt>", views.export, name="analytics_export"),
]
