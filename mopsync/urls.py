from django.contrib import admin
from django.urls import include, path

from mopsync import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("mopsync.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("calendar/", include("campaigns.calendar_urls")),
    path("capacity/", include("capacity.urls")),
    path("", include("campaigns.urls")),
]
