from django.urls import path

from campaigns import availability_views, ops_views, views

app_name = "campaigns"

urlpatterns = [
    path("", ops_views.dashboard, name="dashboard"),
    path("dashboard/<slug:name>/", ops_views.dashboard_section, name="dashboard_section"),
    path("approvals/", ops_views.approval_queue, name="queue"),
    path("approvals/<int:pk>/sign-off/", ops_views.sign_off, name="sign_off"),
    path("campaigns/", views.campaign_list, name="list"),
    path("campaigns/export.csv", views.campaign_export, name="export"),
    path("campaigns/new/", views.campaign_new, name="new"),
    path("campaigns/check/", views.live_check, name="live_check"),
    path("campaigns/lines/<slug:kind>/", views.add_line, name="add_line"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("campaigns/<int:pk>/clone/", views.campaign_clone, name="clone"),
    path("campaigns/<int:pk>/comments/", views.campaign_comment, name="comments"),
    path("campaigns/<int:pk>/<slug:action>/", views.campaign_action, name="action"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/read/", views.inbox_read, name="inbox_read"),
    path("inbox/settings/", views.notification_settings, name="notification_settings"),
    path("availability/", availability_views.availability, name="availability"),
]
