from django.urls import path

from . import views

app_name = "notes"

urlpatterns = [
    path("sw.js", views.service_worker, name="service_worker"),
    path("readyz", views.readyz, name="readyz"),
]
