from django.apps import AppConfig

from mopsync import versions


class CapacityConfig(AppConfig):
    name = "capacity"
    verbose_name = "Capacity (operations)"

    def ready(self):
        versions.connect()
