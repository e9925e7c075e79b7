from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns (marketing)"

    def ready(self):
        # Imported here: both modules import models, which load only once the app registry is ready.
        from campaigns import import_kinds
        from capacity import imports

        # The imports of campaigns' data run as capacity's import jobs (capacity never imports campaigns).
        imports.register(
            import_kinds.ACTUAL_ORDERS, import_kinds.CAMPAIGN_SPEND, import_kinds.SUPPORT_TICKETS, import_kinds.CSAT
        )
