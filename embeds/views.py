"""A provider's own markup (a post with its script), shown only in a sandboxed frame of its own.

The frame document is ours, but the browser gives it no origin (the facade's frame has no `allow-same-origin`),
so the provider's script runs apart from our pages, cookies and storage. Its policy lets the provider's scripts,
styles, pictures and frames in, and only our own pages may frame it.
"""

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from newsroom import freshness
from newsroom.public_cache import is_reader_request

from .models import Embed, embed_key

FRAME_POLICY = {
    "default-src": [NONE],
    "script-src": ["https:", UNSAFE_INLINE],
    "style-src": ["https:", UNSAFE_INLINE],
    "img-src": ["https:", "data:"],
    "media-src": ["https:"],
    "font-src": ["https:"],
    "frame-src": ["https:"],
    "connect-src": ["https:"],
    "base-uri": [NONE],
    "form-action": [NONE],
    "frame-ancestors": [SELF],
    "sandbox": ["allow-scripts", "allow-popups", "allow-popups-to-escape-sandbox"],
}


@require_safe
@xframe_options_sameorigin
@csp(FRAME_POLICY)
def frame(request, pk: int):
    """Readers get the frame only while a public story shows the embed (the ids run in order: a draft's embeds are
    not theirs to find); staff who see embeds get any, as a draft's preview shows them."""
    embeds = Embed.objects.exclude(html="").filter(status=Embed.Status.READY, frame_url="")
    if is_reader_request(request) or not request.user.has_perm("embeds.view_embed"):  # no session: kept public
        embeds = embeds.shown_to_readers()
    embed = get_object_or_404(embeds, pk=pk)
    if story_id := getattr(embed, "story_id", None):
        # Made again when that story changes (unpublished, or the link taken out) or the embed is fetched again.
        freshness.depends_on(request, embed_key(embed.url), f"article:{story_id}")
    markup = mark_safe(embed.html)  # noqa: S308 (the provider's, in a sandbox without our origin: see above)
    return render(request, "embeds/frame.html", {"embed": embed, "markup": markup})
