from django.urls import path  # noqa: F401  (routes are added by the live-notes client)

app_name = "notes"

urlpatterns: list = []
