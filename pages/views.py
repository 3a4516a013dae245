from django.views.generic import DetailView

from newsroom import freshness

from .models import Page


class PageView(DetailView):
    model = Page
    context_object_name = "page"

    def get_context_data(self, **kwargs):
        freshness.depends_on(self.request, f"page:{self.object.pk}")
        return super().get_context_data(**kwargs)
