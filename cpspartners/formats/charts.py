"""Small server-rendered SVG bar charts, accessible: a title, a description, and a data table beside them.

Pure: numbers in, markup out. No JavaScript, no external fonts.
"""

import zlib

from markupsafe import Markup, escape

BAR = "#0b4f8a"


def _svg_open(title, description, width, height):
    """The opening tag, and the title and description a screen reader announces."""
    return [
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="%s-t %s-d" '
        'viewBox="0 0 %d %d">' % (slug(title), slug(title), width, height),
        '<title id="%s-t">%s</title><desc id="%s-d">%s</desc>'
        % (slug(title), escape(title), slug(title), escape(description)),
    ]


def _bar(y, label, text, length, bar_height, label_width):
    """One bar at height ``y``: its label on the left, the bar, its value ``text`` after it."""
    baseline = y + bar_height - 6
    return (
        '<text x="%d" y="%d" font-size="13" text-anchor="end">%s</text>'
        % (label_width - 8, baseline, escape(shorten(label, 30)))
        + '<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>' % (label_width, y, max(length, 1), bar_height, BAR)
        + '<text x="%d" y="%d" font-size="13">%s</text>' % (label_width + length + 6, baseline, escape(text))
    )


def bar_chart(title, description, items, value_text=str, width=560, bar_height=22, label_width=250):
    """Horizontal bars: ``items`` is a list of (label, value) with value >= 0."""
    top = max((value for _label, value in items), default=0) or 1
    height = len(items) * (bar_height + 8) + 8
    room = width - label_width - 70
    out = _svg_open(title, description, width, height)
    for index, (label, value) in enumerate(items):
        length = round(room * value / top)
        out.append(_bar(8 + index * (bar_height + 8), label, value_text(value), length, bar_height, label_width))
    out.append("</svg>")
    return Markup("".join(out))


def _column(x, step, label, text, column, plot, height):
    """One column starting at ``x``, ``column`` high: its value ``text`` above, its label below."""
    return (
        '<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
        % (x + 2, 20 + plot - column, step - 4, column, BAR)
        + '<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>'
        % (x + step / 2, height - 6, escape(label))
        + '<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>'
        % (x + step / 2, 16 + plot - column, escape(text))
    )


def column_chart(title, description, items, value_text=str, width=560, height=220):
    """Vertical columns over time: ``items`` is a list of (period label, value)."""
    top = max((value for _label, value in items), default=0) or 1
    step = (width - 20) / max(len(items), 1)
    plot = height - 40
    out = _svg_open(title, description, width, height)
    for index, (label, value) in enumerate(items):
        column = round(plot * value / top)
        out.append(_column(10 + index * step, step, label, value_text(value), column, plot, height))
    out.append("</svg>")
    return Markup("".join(out))


def shorten(text, length):
    """``text`` cut to ``length`` characters, an ellipsis showing where."""
    text = str(text)
    return text if len(text) <= length else text[: length - 1] + "\u2026"


def slug(text):
    """A stable element id for a chart (``hash()`` would change with every process)."""
    return "c%08x" % zlib.crc32(str(text).encode("utf-8"))
