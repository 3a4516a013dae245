from django.urls import path

from . import views

app_name = "live"
urlpatterns = [path("<slug:slug>/live/", views.updates, name="updates")]
