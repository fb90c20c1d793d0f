"""Pages of the tasks app: the Tasks section (задачи)."""

from django.urls import path

from tasks import views

urlpatterns = [
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/comment/", views.task_comment, name="task_comment"),
]
