"""Pages of stored files: upload and download."""

from django.urls import path

from files import views

urlpatterns = [
    path("files/upload/", views.upload, name="file_upload"),
    path("files/<int:pk>/download/", views.download, name="file_download"),
]
