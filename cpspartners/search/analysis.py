"""How text becomes index terms: words, lower case, accents folded, stop words dropped, stemmed.

A Whoosh analyzer is a chain of generators (tokenizer, then one filter per step) that each
resume once per word. Indexing 100,000 listings pushes about eight million words through five of
them, which was about a quarter of a full rebuild (docs/benchmarks.md). Every step here looks at
one word alone, so ``WordCachedAnalyzer`` runs the chain once per distinct word and remembers the
result; when indexing it only splits the text and looks words up. Everything else (queries,
highlighting with character offsets) goes through the plain chain, so both give the same terms —
tests/unit/test_search_analysis.py compares them on real listings.
"""

import re
from collections.abc import Iterator
from typing import Any

from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.acore import Composable, Token
from whoosh.analysis.analyzers import STOP_WORDS, CompositeAnalyzer
from whoosh.lang.stopwords import stoplists
from whoosh.support.charset import accent_map

# One stop list for both languages: "robótica de Pilsen" must not require "de" in English fields.
STOP = frozenset(STOP_WORDS) | frozenset(stoplists["es"]) | {"near", "cerca"}
# Whoosh's default word pattern with its group made non-capturing: the same words, and
# ``findall`` then returns whole words.
WORD = r"[\w\*]+(?:\.?[\w\*]+)*"
# Distinct raw words remembered per analyzer; the demo directory at 100,000 listings has ~40,000.
CACHE_WORDS = 200_000


class WordCachedAnalyzer(CompositeAnalyzer):
    """The same chain of steps, with each raw word's analysed form remembered while indexing.

    Only the index path (``mode="index"``, stop words removed, no character offsets) is taken
    from the cache; positions are numbered as ``StopFilter(renumber=True)`` numbers them.
    The cache is not pickled with the schema stored in the index.
    """

    def __init__(self, *composables: Composable) -> None:
        super().__init__(*composables)
        self._words: dict[str, str | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != "_words"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._words = {}

    def _analysed(self, word: str) -> str | None:
        """The term for one raw word, or None when it is a stop word."""
        words = self._words
        if word in words:
            return words[word]
        if len(words) >= CACHE_WORDS:
            words.clear()
        found = [token.text for token in super().__call__(word, mode="index")]
        words[word] = term = found[0] if len(found) == 1 else None
        return term

    def spans(self, text: str, terms: set[str] | frozenset[str]) -> list[tuple[int, int]]:
        """Where in ``text`` (start and end characters) the words are whose analysed form is one of
        ``terms``: what the plain chain finds with ``chars=True``, each raw word analysed once
        per process. Highlighting a page of hits had pushed every word of 20 to 40 titles,
        summaries and descriptions through the chain: a seventh of a search page's time."""
        analysed = self._analysed
        expression = self.items[0].expression  # type: ignore[attr-defined]
        return [(match.start(), match.end()) for match in expression.finditer(text) if analysed(match.group()) in terms]

    # Names the keywords Whoosh passes its analyzers; its own annotation names only no_morph.
    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        if mode != "index" or chars or keeporiginal or not removestops or not tokenize:
            return super().__call__(
                value,
                positions=positions,
                chars=chars,
                keeporiginal=keeporiginal,
                removestops=removestops,
                start_pos=start_pos,
                start_char=start_char,
                tokenize=tokenize,
                mode=mode,
                **kwargs,
            )
        return self._index_tokens(value, positions, start_pos, kwargs)

    def _index_tokens(self, value: str, positions: bool, start_pos: int, kwargs: dict[str, Any]) -> Iterator[Token]:
        token = Token(positions, False, removestops=True, mode="index", **kwargs)
        token.boost = 1.0
        token.stopped = False
        analysed = self._analysed
        pos = None
        # The first step is always _chain's RegexTokenizer: split with its pattern, nothing else.
        for index, raw in enumerate(_split(self.items[0].expression, value)):  # type: ignore[attr-defined]
            term = analysed(raw)
            if term is None:
                continue
            if positions:
                pos = start_pos + index if pos is None else pos + 1
                token.pos = pos
            token.text = term
            yield token


def words_not_in(text: str | None, *seen: str | None) -> str:
    """The words of ``text`` that none of the ``seen`` texts has (case aside), space-separated.

    A listing's description mostly repeats its title and summary. Ranking takes, for each typed
    word, the best field it was found in (title over summary over the rest), so repeating those
    words in the body changes no ranking and no match, yet it was a third of a rebuild's postings.
    Whole words as the tokenizer sees them, so what is left indexes to the same terms.
    """
    known = {word.lower() for value in seen if value for word in raw_words(value)}
    return " ".join(word for word in raw_words(text or "") if word.lower() not in known)


def raw_words(text: str) -> list[str]:
    """The words the tokenizer finds in ``text``, as written."""
    return _WORD.findall(text)


def _split(expression: re.Pattern[str], text: str) -> list[str]:
    if expression.groups:
        return [match.group() for match in expression.finditer(text)]
    return expression.findall(text)  # whole matches, and faster, when the pattern has no groups


def _chain(lang: str | None = None) -> list[Composable]:
    return [RegexTokenizer(WORD), LowercaseFilter(), CharsetFilter(accent_map), StopFilter(stoplist=STOP)] + (
        [StemFilter(lang=lang)] if lang else []
    )


def analyzer(lang: str | None = None) -> WordCachedAnalyzer:
    """Words, lower case, accents folded (so "tecnologia" finds "tecnología"), then stemmed."""
    return WordCachedAnalyzer(*_chain(lang))


def plain_analyzer(lang: str | None = None) -> CompositeAnalyzer:
    """The same steps as ``analyzer(lang)`` without the cache: the yardstick in tests."""
    return CompositeAnalyzer(*_chain(lang))


_WORD = re.compile(WORD)
EN = analyzer("en")
ES = analyzer("es")
FOLD = RegexTokenizer(WORD) | LowercaseFilter() | CharsetFilter(accent_map)
