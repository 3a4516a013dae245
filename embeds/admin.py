from django.contrib import admin, messages
from django.utils.html import format_html

from articles.admin import thumbnail

from .models import Embed
from .services import embed_refresh


@admin.register(Embed)
class EmbedAdmin(admin.ModelAdmin):
    """The links that became embeds: what each provider said, and why one shows as a plain link. Staff who see
    them may have any fetched again (a provider that was down, a title the provider changed)."""

    list_display = ["preview", "title_or_link", "provider", "status", "fetched_at"]
    list_filter = ["status", "provider"]
    list_select_related = ["thumbnail"]
    search_fields = ["url", "title", "author_name"]
    readonly_fields = [
        "url",
        "provider",
        "status",
        "kind",
        "title",
        "author_name",
        "author_url",
        "preview",
        "frame_url",
        "width",
        "height",
        "error",
        "fetched_at",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["fetch_again"]

    def has_add_permission(self, request):
        return False  # an embed comes from a link in a story

    def has_change_permission(self, request, obj=None):
        return False  # all of it is the provider's

    @admin.display(description="thumbnail")
    def preview(self, embed):
        return thumbnail(embed.thumbnail, width=80)

    @admin.display(description="title", ordering="title")
    def title_or_link(self, embed):
        return embed.title or format_html("<code>{}</code>", embed.url)

    @admin.action(description="Fetch the selected embeds again", permissions=["view"])
    def fetch_again(self, request, queryset):
        embeds = list(queryset)
        for embed in embeds:
            embed_refresh(embed)  # queued; fetching one twice at once does no harm
        self.message_user(
            request, f"{len(embeds)} embed(s) will be fetched again in a moment; reload to see.", messages.SUCCESS
        )
