from django.urls import path

from dashboards import views

urlpatterns = [
    path("my-day/", views.MyDayView.as_view(), name="my_day"),
    path("my-day/sections/", views.MyDaySectionsView.as_view(), name="my_day_sections"),
]
