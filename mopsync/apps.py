from django.apps import AppConfig


class MopsyncConfig(AppConfig):
    """The project package is also an app: it holds what belongs to neither marketing
    (`campaigns`) nor operations (`capacity`) — today the API tokens (`mopsync.models`)."""

    name = "mopsync"
    verbose_name = "Sign-in and API tokens"

    def ready(self) -> None:
        from mopsync import tokens

        tokens.connect_signals()
