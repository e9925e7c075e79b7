from django.apps import AppConfig


class CapacityConfig(AppConfig):
    name = "capacity"
    verbose_name = "Capacity (operations)"

    def ready(self):
        from mopsync import versions

        versions.connect()
