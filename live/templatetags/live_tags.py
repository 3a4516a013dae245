import hashlib

from django import template

register = template.Library()

SUM = "(sum)"


class SummedNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        html = self.nodelist.render(context)
        return html.replace(SUM, hashlib.blake2b(html.encode(), digest_size=8).hexdigest(), 1)


@register.tag
def summed(parser, token):
    """`{% summed %}<li data-sum="(sum)">…</li>{% endsummed %}`: the markup, its first "(sum)" (in the opening tag,
    before any words of a user's) replaced by a digest of the whole. A page's script compares digests to tell an
    update that changed from one it has only enhanced (static/live/live.js)."""
    nodelist = parser.parse(("endsummed",))
    parser.delete_first_token()
    return SummedNode(nodelist)
