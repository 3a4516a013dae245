from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

DEFAULT_SIZES = "(min-width: 48rem) 46rem, 100vw"


def _srcset(renditions):
    return ", ".join(f"{r.url} {r.width}w" for r in renditions)


@register.simple_tag
def picture(image, sizes=DEFAULT_SIZES, lazy=True, css_class=""):
    """A responsive <picture>: WebP renditions with a JPEG/PNG fallback, width and height set."""
    if image is None:
        return ""
    webp = image.renditions("webp")
    fallback = image.renditions(image.fallback_extension)
    if not fallback:
        return ""
    default = next((r for r in fallback if r.width >= 640), fallback[-1])
    loading = mark_safe('loading="lazy" decoding="async"' if lazy else 'fetchpriority="high" decoding="async"')
    return format_html(
        '<picture{}><source type="image/webp" srcset="{}" sizes="{}">'
        '<img src="{}" srcset="{}" sizes="{}" width="{}" height="{}" alt="{}" {}></picture>',
        format_html(' class="{}"', css_class) if css_class else "",
        _srcset(webp),
        sizes,
        default.url,
        _srcset(fallback),
        sizes,
        default.width,
        default.height,
        image.alt_text,
        loading,
    )
