from django.views.generic import DetailView

from .models import Page


class PageView(DetailView):
    model = Page
    context_object_name = "page"
