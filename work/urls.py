"""The pages about work: the feed, «Автоматизация», assignments, instances, processes, pickers."""

from django.urls import path

from work import assignment, assignment_list, bulk, decision_link, feed, instance, people, process_list, search

urlpatterns = [
    path("", feed.home, name="home"),
    path("assignments/", assignment_list.assignments, name="assignments"),
    path("assignments/export.xlsx", assignment_list.assignments_export, name="assignments_export"),
    path("assignments/bulk/", bulk.assignments_bulk, name="assignments_bulk"),
    path("assignments/<int:pk>/", assignment.assignment, name="assignment"),
    path("assignments/<int:pk>/delegate/", assignment.assignment_delegate, name="assignment_delegate"),
    path("a/<str:token>", decision_link.decision_link, name="decision_link"),
    path("instances/<int:pk>/", instance.instance, name="instance"),
    path("instances/<int:pk>/sheet.pdf", instance.instance_sheet, {"fmt": "pdf"}, name="instance_sheet_pdf"),
    path("instances/<int:pk>/sheet.xlsx", instance.instance_sheet, {"fmt": "xlsx"}, name="instance_sheet_xlsx"),
    path("instances/<int:pk>/stop/", instance.instance_stop, name="instance_stop"),
    path("processes/", process_list.processes, name="processes"),
    path("processes/<slug:key>/start/", process_list.process_start, name="process_start"),
    path("search/", search.search, name="search"),
    path("employees/search/", people.employee_search, name="employee_search"),
]
