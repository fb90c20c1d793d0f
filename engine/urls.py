"""Pages of the engine app: the «Автоматизация» list, assignments, instances, processes."""

from django.urls import path

from engine import views

urlpatterns = [
    path("assignments/", views.assignments, name="assignments"),
    path("assignments/<int:pk>/", views.assignment, name="assignment"),
    path("assignments/<int:pk>/delegate/", views.assignment_delegate, name="assignment_delegate"),
    path("instances/<int:pk>/", views.instance, name="instance"),
    path("instances/<int:pk>/stop/", views.instance_stop, name="instance_stop"),
    path("processes/", views.processes, name="processes"),
    path("processes/<slug:key>/start/", views.process_start, name="process_start"),
    path("employees/search/", views.employee_search, name="employee_search"),
]
