from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from content import markdown as md
from content.models import ClaimStatus

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    # Safe: content.markdown.render sanitises with nh3.
    return mark_safe(md.render(text))  # noqa: S308


@register.simple_tag
def status_badge(status: str) -> SafeString:
    label = ClaimStatus(status).label if status in ClaimStatus.values else status
    return format_html('<span class="badge badge-{}">{}</span>', status, label)
