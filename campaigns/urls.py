from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="detail"),
]
