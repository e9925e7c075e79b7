from django.urls import path

from campaigns import calendar_views

app_name = "calendar"

urlpatterns = [
    path("", calendar_views.calendar_page, name="month"),
    path("export.csv", calendar_views.calendar_export, name="export"),
    path("feed/regenerate/", calendar_views.feed_regenerate, name="feed-regenerate"),
    # Tokens are secrets.token_urlsafe: letters, digits, '-' and '_' (the slug alphabet).
    path("<slug:token>.ics", calendar_views.feed, name="feed"),
]
