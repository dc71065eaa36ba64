"""Small server-rendered SVG bar charts, accessible: a title, a description, and a data table beside them.

Pure: numbers in, markup out. No JavaScript, no external fonts.
"""

import zlib

from markupsafe import Markup, escape

BAR = "#0b4f8a"


def _opening(title, description, width, height):
    """The chart's <svg> tag, named by its title and described for screen readers."""
    return [
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="%s-t %s-d" '
        'viewBox="0 0 %d %d">' % (slug(title), slug(title), width, height),
        '<title id="%s-t">%s</title><desc id="%s-d">%s</desc>'
        % (slug(title), escape(title), slug(title), escape(description)),
    ]


def bar_chart(title, description, items, value_text=str, width=560, bar_height=22, label_width=250):
    """Horizontal bars: ``items`` is a list of (label, value) with value >= 0."""
    top = max((value for _label, value in items), default=0) or 1
    height = len(items) * (bar_height + 8) + 8
    room = width - label_width - 70
    out = _opening(title, description, width, height)
    for index, (label, value) in enumerate(items):
        y = 8 + index * (bar_height + 8)
        length = round(room * value / top)
        out.append(
            '<text x="%d" y="%d" font-size="13" text-anchor="end">%s</text>'
            '<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>'
            '<text x="%d" y="%d" font-size="13">%s</text>'
            % (
                label_width - 8,
                y + bar_height - 6,
                escape(shorten(label, 30)),
                label_width,
                y,
                max(length, 1),
                bar_height,
                BAR,
                label_width + length + 6,
                y + bar_height - 6,
                escape(value_text(value)),
            )
        )
    out.append("</svg>")
    return Markup("".join(out))


def column_chart(title, description, items, value_text=str, width=560, height=220):
    """Vertical columns over time: ``items`` is a list of (period label, value)."""
    top = max((value for _label, value in items), default=0) or 1
    count = max(len(items), 1)
    step = (width - 20) / count
    plot = height - 40
    out = _opening(title, description, width, height)
    for index, (label, value) in enumerate(items):
        x = 10 + index * step
        column = round(plot * value / top)
        out.append(
            '<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
            '<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>'
            '<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>'
            % (
                x + 2,
                20 + plot - column,
                step - 4,
                column,
                BAR,
                x + step / 2,
                height - 6,
                escape(label),
                x + step / 2,
                16 + plot - column,
                escape(value_text(value)),
            )
        )
    out.append("</svg>")
    return Markup("".join(out))


def shorten(text, length):
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "\u2026"


def slug(text):
    """A stable element id for a chart (``hash()`` would change with every process)."""
    return "c%08x" % zlib.crc32(str(text).encode("utf-8"))
