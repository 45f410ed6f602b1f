"""Small charts drawn on the server as SVG: no chart library, no CDN, readable in both themes
(the strokes and text use ``currentColor``)."""

from django.utils.html import escape
from django.utils.safestring import mark_safe


def column_chart(points, *, width=720, height=200, label_every=5, title=""):
    """Vertical bars for (label, value) pairs, e.g. passes issued per day."""
    values = [value for _label, value in points]
    top = max(values + [1])
    left, bottom, right, upper = 36, 22, 8, 12
    plot_w, plot_h = width - left - right, height - bottom - upper
    step = plot_w / max(len(points), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="pd-chart" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{upper + plot_h}" x2="{width - right}" y2="{upper + plot_h}" '
        'stroke="currentColor" stroke-opacity=".4"/>',
        f'<text x="{left - 4}" y="{upper + 4}" text-anchor="end" font-size="10" '
        f'fill="currentColor">{top}</text>',
        f'<text x="{left - 4}" y="{upper + plot_h}" text-anchor="end" font-size="10" '
        'fill="currentColor">0</text>',
    ]
    for index, (label, value) in enumerate(points):
        bar_h = plot_h * value / top
        x = left + index * step + step * 0.15
        y = upper + plot_h - bar_h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{bar_h:.1f}" '
            f'fill="#3b7dd8"><title>{escape(label)}: {value}</title></rect>'
        )
        if index % label_every == 0 or index == len(points) - 1:
            parts.append(
                f'<text x="{x + step * 0.35:.1f}" y="{height - 6}" text-anchor="middle" '
                f'font-size="10" fill="currentColor">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped


def bar_list(rows, *, width=420, row_height=24, title=""):
    """Horizontal bars for (label, value) pairs, e.g. requests by status."""
    top = max([value for _label, value in rows] + [1])
    label_w, value_w = 150, 60
    plot_w = width - label_w - value_w
    height = row_height * len(rows) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" class="pd-chart" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(rows):
        y = index * row_height + 2
        bar_w = plot_w * value / top
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row_height * 0.68:.1f}" text-anchor="end" '
            f'font-size="13" fill="currentColor">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w:.1f}" height="{row_height - 8}" '
            f'rx="3" fill="#3b7dd8"/>'
            f'<text x="{label_w + bar_w + 6:.1f}" y="{y + row_height * 0.68:.1f}" font-size="13" '
            f'fill="currentColor">{value}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped
