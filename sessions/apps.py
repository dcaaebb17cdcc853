from django.apps import AppConfig


class ConfSessionsConfig(AppConfig):
    # django.contrib.sessions already owns the label "sessions".
    name = "sessions"
    label = "conf_sessions"
    verbose_name = "Events and sessions"
    default_auto_field = "django.db.models.BigAutoField"
