from django.urls import path

from campaigns import calendar_views

app_name = "calendar"

urlpatterns = [
    path("", calendar_views.calendar_page, name="month"),
]
