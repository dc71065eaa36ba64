"""How text becomes index terms: words, lower case, accents folded, stop words dropped, stemmed.

A Whoosh analyzer is a chain of generators (tokenizer, then one filter per step) that each
resume once per word. Indexing 100,000 listings pushes about eight million words through five of
them, which was about a quarter of a full rebuild (docs/benchmarks.md). Every step here looks at
one word alone, so ``WordCachedAnalyzer`` runs the chain once per distinct word and remembers the
result; when indexing it only splits the text and looks words up. Everything else (queries,
highlighting with character offsets) goes through the plain chain, so both give the same terms —
tests/test_search_analysis.py compares them on real listings.
"""

import re

from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.analysis.acore import Token
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

    def __init__(self, *composables):
        super().__init__(*composables)
        self._words = {}

    def __getstate__(self):
        return {key: value for key, value in self.__dict__.items() if key != "_words"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._words = {}

    def _analysed(self, word):
        """The term for one raw word, or None when it is a stop word."""
        words = self._words
        if word in words:
            return words[word]
        if len(words) >= CACHE_WORDS:
            words.clear()
        found = [token.text for token in super().__call__(word, mode="index")]
        words[word] = term = found[0] if len(found) == 1 else None
        return term

    def __call__(
        self,
        value,
        positions=False,
        chars=False,
        keeporiginal=False,
        removestops=True,
        start_pos=0,
        start_char=0,
        tokenize=True,
        mode="",
        **kwargs,
    ):
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

    def _index_tokens(self, value, positions, start_pos, kwargs):
        token = Token(positions, False, removestops=True, mode="index", **kwargs)
        token.boost = 1.0
        token.stopped = False
        analysed = self._analysed
        pos = None
        for index, raw in enumerate(_split(self.items[0].expression, value)):
            term = analysed(raw)
            if term is None:
                continue
            if positions:
                pos = start_pos + index if pos is None else pos + 1
                token.pos = pos
            token.text = term
            yield token


def words_not_in(text, *seen):
    """The words of ``text`` that none of the ``seen`` texts has (case aside), space-separated.

    A listing's description mostly repeats its title and summary. Ranking takes, for each typed
    word, the best field it was found in (title over summary over the rest), so repeating those
    words in the body changes no ranking and no match, yet it was a third of a rebuild's postings.
    Whole words as the tokenizer sees them, so what is left indexes to the same terms.
    """
    known = {word.lower() for value in seen if value for word in raw_words(value)}
    return " ".join(word for word in raw_words(text or "") if word.lower() not in known)


def raw_words(text):
    """The words the tokenizer finds in ``text``, as written."""
    return _WORD.findall(text)


def _split(expression, text):
    if expression.groups:
        return [match.group() for match in expression.finditer(text)]
    return expression.findall(text)  # whole matches, and faster, when the pattern has no groups


def _chain(lang=None):
    return [RegexTokenizer(WORD), LowercaseFilter(), CharsetFilter(accent_map), StopFilter(stoplist=STOP)] + (
        [StemFilter(lang=lang)] if lang else []
    )


def analyzer(lang=None):
    """Words, lower case, accents folded (so "tecnologia" finds "tecnología"), then stemmed."""
    return WordCachedAnalyzer(*_chain(lang))


def plain_analyzer(lang=None):
    """The same steps as ``analyzer(lang)`` without the cache: the yardstick in tests."""
    return CompositeAnalyzer(*_chain(lang))


_WORD = re.compile(WORD)
EN = analyzer("en")
ES = analyzer("es")
FOLD = RegexTokenizer(WORD) | LowercaseFilter() | CharsetFilter(accent_map)
