"""Pages of the notify app: the notification list and marking notifications read."""

from django.urls import path

from notify import views

urlpatterns = [
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/read/", views.mark_read, name="notification_read"),
    path("notifications/<int:pk>/open/", views.open_notification, name="notification_open"),
    path("notifications/read-all/", views.mark_all_read, name="notifications_read_all"),
]
