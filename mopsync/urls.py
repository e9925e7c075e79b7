from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from mopsync import account_views, views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("mopsync.api_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("account/tokens/", account_views.api_tokens, name="account-tokens"),
    path("account/tokens/<int:pk>/revoke/", account_views.revoke_api_token, name="account-token-revoke"),
    path("calendar/", include("campaigns.calendar_urls")),
    path("capacity/", include("capacity.urls")),
    path("", include("campaigns.urls")),
]

if settings.MOPSYNC_BENCH_VIEWS:  # benchmark-only comparison views (bench/run.py); never in production
    from bench import views as bench_views

    urlpatterns.insert(0, path("bench/campaigns/", bench_views.campaigns, name="bench-campaigns"))
