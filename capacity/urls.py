from django.urls import path

from capacity import import_views, views

app_name = "capacity"

urlpatterns = [
    path("", views.home, name="home"),
    path("stock/", views.stock_list, name="stock"),
    path("stock/new/", views.stock_new, name="stock_new"),
    path("stock/<int:pk>/edit/", views.stock_edit, name="stock_edit"),
    path("inbound/", views.inbound_list, name="inbound"),
    path("inbound/new/", views.inbound_new, name="inbound_new"),
    path("inbound/<int:pk>/edit/", views.inbound_edit, name="inbound_edit"),
    path("lanes/", views.lane_list, name="lanes"),
    path("lanes/new/", views.lane_new, name="lane_new"),
    path("lanes/<int:pk>/edit/", views.lane_edit, name="lane_edit"),
    path("warehouses/", views.warehouse_list, name="warehouses"),
    path("warehouses/new/", views.warehouse_new, name="warehouse_new"),
    path("warehouses/<int:pk>/edit/", views.warehouse_edit, name="warehouse_edit"),
    path("constraints/", views.constraint_list, name="constraints"),
    path("constraints/new/", views.constraint_new, name="constraint_new"),
    path("constraints/<int:pk>/edit/", views.constraint_edit, name="constraint_edit"),
    path("constraints/<int:pk>/delete/", views.constraint_delete, name="constraint_delete"),
    path("imports/", import_views.imports_page, name="imports"),
    path("imports/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("imports/<int:pk>/errors.csv", import_views.import_errors_csv, name="import_errors"),
    path("imports/samples/<str:kind>.csv", import_views.import_sample, name="import_sample"),
]
