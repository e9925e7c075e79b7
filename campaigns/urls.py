from django.urls import path

from campaigns import ops_views, views

app_name = "campaigns"

urlpatterns = [
    path("", ops_views.dashboard, name="dashboard"),
    path("dashboard/<slug:name>/", ops_views.dashboard_section, name="dashboard_section"),
    path("approvals/", ops_views.approval_queue, name="queue"),
    path("approvals/<int:pk>/sign-off/", ops_views.sign_off, name="sign_off"),
    path("campaigns/", views.campaign_list, name="list"),
    path("campaigns/new/", views.campaign_new, name="new"),
    path("campaigns/check/", views.live_check, name="live_check"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("campaigns/<int:pk>/comments/", views.campaign_comment, name="comments"),
    path("campaigns/<int:pk>/<slug:action>/", views.campaign_action, name="action"),
    path("inbox/", views.inbox, name="inbox"),
]
