"""Pages of the crm app: the company list (`companies`), a company (`company`), the htmx field check."""

from django.urls import path

from crm import views

urlpatterns = [
    path("companies/", views.company_list, name="companies"),
    path("companies/<int:pk>/", views.company_detail, name="company"),
    path("companies/check-field/", views.check_field, name="company_check_field"),
    path("companies/lookup-fill/", views.lookup_fill, name="company_lookup_fill"),
]
