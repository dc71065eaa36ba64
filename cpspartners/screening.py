"""Finding contact details in the free text students write, and hiding them. No Flask in here.

Students are minors: a partner must never get a way to reach one outside the site. What a
student writes for a partner (an application answer, a message in a thread) is screened for
email addresses, phone numbers, street addresses and social-media handles. ``screen`` says what
it found and gives the text with each finding replaced by ``MASK``; masking repeats until
nothing is found, so the masked text never screens positive again.

The patterns lean towards finding too much: the student is shown every finding before sending
and can change the text, so a false positive costs a second look, a miss costs a child's phone
number in a stranger's hands.
"""

import re
from dataclasses import dataclass

MASK = "[•••]"

KINDS = ("email", "phone", "address", "handle")

_AT = r"(?:@|\s?[\(\[]\s?at\s?[\)\]]\s?)"
_DOT = r"(?:\.|\s?[\(\[]\s?dot\s?[\)\]]\s?|\s(?:dot|punto)\s)"
_MAIL_HOSTS = r"(?:gmail|yahoo|hotmail|outlook|icloud|aol|protonmail)"

_EMAIL = re.compile(
    # jo.doe+x@mail.example.org, jo (at) example (dot) com
    r"[\w.+%-]+" + _AT + r"[\w-]+(?:" + _DOT + r"[\w-]+)*" + _DOT + r"[A-Za-z]{2,}"
    # "jodoe at gmail dot com", "jodoe arroba gmail punto com"
    r"|[\w.+-]+\s(?:at|arroba)\s(?:" + _MAIL_HOSTS + r"(?:" + _DOT + r"com)?|[\w-]+" + _DOT + r"(?:com|net|org|edu))\b",
    re.IGNORECASE,
)

_SEP = r"[\s.\-\u2010-\u2015]*"
_PHONE = re.compile(
    # 312-555-0199, (312) 555-0199, 312.555.0199, 312 555 0199, +1 312 555 0199, 3125550199
    r"(?<!\d)(?:\+?1" + _SEP + r")?(?:\(\s*\d{3}\s*\)|\d{3})" + _SEP + r"\d{3}" + _SEP + r"\d{4}(?!\d)"
    # 555-0199, 555.0199 (a separator is required: four-digit years and scores stay)
    r"|(?<![\d.\-])\d{3}[.\-]\d{4}(?![\d.\-]?\d)",
)

_SUFFIXES = (
    r"St|Street|Ave|Av|Avenue|Blvd|Boulevard|Rd|Road|Dr|Drive|Ln|Lane|Ct|Court|Pl|Place|Pkwy|Parkway"
    r"|Ter|Terrace|Hwy|Highway|Cir|Circle|Sq|Square"
)
_UNIT = r"(?:Apt|Apartment|Apto|Depto|Departamento|Unit|Suite|Ste|Piso)\.?\s?#?\s?\d+[A-Za-z]?\b|#\s?\d+[A-Za-z]?\b"
_ADDRESS = re.compile(
    # 1234 S Main St, 5 West 63rd Street Apt 2B, 1234 s. pulaski rd
    r"\b\d{1,6}\s+(?:[NSEW]\.?\s+|(?:North|South|East|West)\s+)?(?:[A-Za-z0-9][\w'’-]*\.?\s+){1,4}"
    r"(?:" + _SUFFIXES + r")\b\.?(?:,?\s*(?:" + _UNIT + r"))?"
    # A unit on its own: "Apt 4", "apartment 12B", "depto 3"
    r"|\b(?:Apt|Apartment|Apto|Depto|Departamento|Unit|Suite)\.?\s?#?\s?\d+[A-Za-z]?\b",
    re.IGNORECASE,
)

_NETWORKS = r"instagram|insta|ig|snapchat|snap|tiktok|tik\s?tok|twitter|discord|whatsapp|telegram|facebook|fb|kik|threads|twitch|youtube"
_HANDLE = re.compile(
    # instagram.com/jodoe, https://www.tiktok.com/@jodoe, discord.gg/abc, x.com/jodoe
    r"(?:https?://)?(?:www\.)?(?:instagram|facebook|fb|tiktok|twitter|x|snapchat|youtube|discord|linkedin"
    r"|threads|twitch|t)\.(?:com|gg|me|net)/[\w.@/%-]*[\w@]"
    # snap: jodoe, IG=jodoe, my insta is @jodoe, mi snap es jodoe_10
    r"|\b(?:" + _NETWORKS + r")\s?(?:[:=]\s?|(?:is|es|name|handle|account|cuenta|usuario)\s?(?::\s?)?)@?[\w.]{2,30}"
    # @jodoe (not the middle of an email address)
    r"|(?<![\w@.])@[A-Za-z0-9_][\w.]{1,29}",
    re.IGNORECASE,
)

_PATTERNS = (("email", _EMAIL), ("handle", _HANDLE), ("phone", _PHONE), ("address", _ADDRESS))

# "my insta is great": after "is"/"es" a handle must look like one (a digit, _ or . inside,
# or an @ before it); after ":" or "=" anything goes.
_SPOKEN = re.compile(r"(?:is|es|name|handle|account|cuenta|usuario)\s?@?([\w.]+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    kind: str  # one of KINDS
    text: str  # what was found, as written


@dataclass(frozen=True)
class Screened:
    findings: tuple[Finding, ...]
    masked: str

    @property
    def found(self) -> bool:
        return bool(self.findings)

    def kinds(self) -> list[str]:
        """The kinds found, in the order of ``KINDS``, each once."""
        present = {f.kind for f in self.findings}
        return [k for k in KINDS if k in present]


def _plausible(kind: str, text: str) -> bool:
    if kind != "handle":
        return True
    spoken = _SPOKEN.search(text)
    if spoken is None or "@" in text:
        return True
    name = spoken.group(1)
    return any(c.isdigit() or c in "_." for c in name)


def _spans(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, kind)`` of every finding, overlapping ones merged (the first kind wins)."""
    found = sorted(
        (m.start(), m.end(), kind)
        for kind, pattern in _PATTERNS
        for m in pattern.finditer(text)
        if m.end() > m.start() and _plausible(kind, m.group())
    )
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in found:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return merged


def screen(text: str) -> Screened:
    """What contact details ``text`` holds, and ``text`` with each of them replaced by ``MASK``.

    Text with none comes back unchanged (the same string).
    """
    findings: list[Finding] = []
    masked = text or ""
    for _round in range(10):  # each round removes characters; a handful is always enough
        spans = _spans(masked)
        if not spans:
            break
        findings.extend(Finding(kind, masked[start:end].strip()) for start, end, kind in spans)
        pieces, at = [], 0
        for start, end, _kind in spans:
            pieces.append(masked[at:start])
            pieces.append(MASK)
            at = end
        pieces.append(masked[at:])
        masked = "".join(pieces)
    unique = tuple(dict.fromkeys(f for f in findings if f.text))
    return Screened(unique, masked)
