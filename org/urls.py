"""The pages of ``org`` besides log-in: «Отсутствия»."""

from django.urls import path

from org import views

urlpatterns = [
    path("absences/", views.absence_list, name="absences"),
    path("absences/<int:pk>/withdraw/", views.absence_withdraw, name="absence_withdraw"),
]
