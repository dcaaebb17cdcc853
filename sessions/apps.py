from django.apps import AppConfig


class ConfSessionsConfig(AppConfig):
    # django.contrib.sessions already owns the label "sessions".
    name = "sessions"
    label = "conf_sessions"
    verbose_name = "Events and sessions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .guests import merge_on_sign_in

        # Signing up or in from a guest's browser makes the guest's doings the account's.
        user_logged_in.connect(merge_on_sign_in, dispatch_uid="confnotes-guest-merge")
