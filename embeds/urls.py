from django.urls import path

from . import views

app_name = "embeds"
urlpatterns = [path("<int:pk>/frame/", views.frame, name="frame")]
