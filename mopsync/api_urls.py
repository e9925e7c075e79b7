from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from campaigns import api as campaigns_api
from campaigns import metrics_api
from capacity import api as capacity_api
from capacity import import_api
from mopsync.auth_api import ObtainToken
from mopsync.security import csp_extended

router = DefaultRouter(trailing_slash=True)
router.register("skus", capacity_api.SkuViewSet, basename="sku")
router.register("warehouses", capacity_api.WarehouseViewSet, basename="warehouse")
router.register("regions", capacity_api.RegionViewSet, basename="region")
router.register("couriers", capacity_api.CourierViewSet, basename="courier")
router.register("courier-lanes", capacity_api.CourierLaneViewSet, basename="courier-lane")
router.register("stock-levels", capacity_api.StockLevelViewSet, basename="stock-level")
router.register("inbound-shipments", capacity_api.InboundShipmentViewSet, basename="inbound-shipment")
router.register("constraints", capacity_api.CapacityConstraintViewSet, basename="constraint")
router.register("support-teams", capacity_api.SupportTeamViewSet, basename="support-team")
router.register("promo-windows", campaigns_api.PromoWindowViewSet, basename="promo-window")
router.register("campaigns", campaigns_api.CampaignViewSet, basename="campaign")
router.register("notifications", campaigns_api.NotificationViewSet, basename="notification")
router.register("me/delegations", campaigns_api.DelegationViewSet, basename="delegation")

urlpatterns = [
    path("v1/auth/token/", ObtainToken.as_view(), name="api-token"),
    path("v1/me/", campaigns_api.MeView.as_view(), name="api-me"),
    path("v1/approval-queue/", campaigns_api.ApprovalQueueView.as_view(), name="api-approval-queue"),
    path("v1/calendar/", campaigns_api.CalendarView.as_view(), name="api-calendar"),
    path("v1/imports/", import_api.ImportListView.as_view(), name="api-imports"),
    path("v1/imports/<str:pk>/", import_api.ImportDetailView.as_view(), name="api-import"),
    path("v1/metrics/<str:name>/", metrics_api.MetricView.as_view(), name="api-metric"),
    path("v1/campaigns/<str:pk>/projection.csv", metrics_api.ProjectionView.as_view(), name="api-projection"),
    path("v1/campaigns/<str:pk>/review/", metrics_api.ReviewView.as_view(), name="api-review"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI: its init script is loaded from ?script= (no inline script); its bundled
    # stylesheet draws icons from data: URLs, which only this page allows.
    path(
        "docs/",
        csp_extended(img_src=["data:"])(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]
