"""The query's words marked in a listing's text, as HTML: the only search code that makes Markup.

Kept apart from the index because it is presentation: it needs only the analysed words a
search matched (``SearchResult.terms``) and the analyzer each field was indexed with, so
that "robotica" marks "Robótica" and "workshops" marks "workshop". Every piece of HTML is
built from escaped pieces of the text; nothing the reader or a partner typed is trusted.
"""

from markupsafe import Markup, escape

from cpspartners.search.analysis import EN
from cpspartners.search.schema import FIELD_ANALYZERS


def highlighted(
    text: str | None, terms: dict[str, set[str]], fieldname: str, whole: bool = False, width: int = 240
) -> Markup:
    """``text`` as Markup with the query's words in <mark>; plain escaped text when none match.

    Markup is built only from escaped pieces of ``text``. Without ``whole``, a window of about
    ``width`` characters around the first match is shown, with ellipses where it was cut.
    """
    if not text:
        return Markup("")
    words = terms.get(fieldname)
    spans = []
    if words:
        spans = FIELD_ANALYZERS.get(fieldname, EN).spans(text, words)
    if not spans:
        return escape(text) if whole or len(text) <= width else escape(text[:width].rsplit(" ", 1)[0] + " …")
    start, end = 0, len(text)
    if not whole and len(text) > width:
        start = max(0, spans[0][0] - width // 4)
        start = text.rfind(" ", 0, start) + 1 if start else 0
        end = min(len(text), start + width)
    out, position = [], start
    for left, right in spans:
        if left < position or right > end:
            continue
        out.append(escape(text[position:left]))
        out.append(Markup("<mark>%s</mark>") % text[left:right])
        position = right
    out.append(escape(text[position:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return Markup(escape(prefix) + Markup("").join(out) + escape(suffix))
