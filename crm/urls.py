"""Pages of the crm app: the company list (`companies`), a company (`company`), the htmx field check, the import."""

from django.urls import path

from crm import import_views, views

urlpatterns = [
    path("companies/", views.company_list, name="companies"),
    path("companies/<int:pk>/", views.company_detail, name="company"),
    path("companies/check-field/", views.check_field, name="company_check_field"),
    path("companies/lookup-fill/", views.lookup_fill, name="company_lookup_fill"),
    path("companies/import/", import_views.start, name="company_import"),
    path("companies/import/<int:pk>/", import_views.detail, name="company_import_run"),
    path("companies/import/<int:pk>/progress/", import_views.progress, name="company_import_progress"),
]
