"""The word-cached analyzer gives exactly the terms, counts and positions of the plain chain."""

import pickle

import pytest
from whoosh.formats import Frequency, Positions

from cpspartners.search import analysis
from cpspartners.seed.demo_content import KIND_TEMPLATES, MISSIONS, MISSIONS_ES, TOPICS

ODD = [
    "",
    "   ",
    "The robotics club of the year",
    "de la robótica en Pilsen y más",
    "Él está aquí, ¿verdad?",
    "e-mail U.S.A. 3.14 v2.0 C++ node.js",
    "TECNOLOGÍA tecnologia Tecnología",
    "a an the of a",
    "x y z 1 2",
    "welding*apprentice ** *",
    "emoji 🤖 robot 👩🏽‍🔬 science",
    "naïve café façade coöperate",
    "ß straße",
    "<script>alert(1)</script> SELECT * FROM users; --",
    "near cerca Curie",
    "word " * 300,
    "Ünïcödé\u00a0spaces\ttabs\nnewlines",
    "日本語のテキスト mixed with English",
    "running runs ran runner",
]


def texts():
    """Every template of the demo directory filled in, plus odd and hostile text."""
    out = list(ODD)
    for title_en, title_es, summary_en, summary_es, _grades, _audience in KIND_TEMPLATES.values():
        for _cluster, topic, topic_es, tags in TOPICS:
            out += [
                title_en.format(topic=topic),
                title_es.format(topic_es=topic_es),
                summary_en.format(topic=topic, org="Pilsen Robotics Lab"),
                summary_es.format(topic_es=topic_es, org="Taller de Pilsen"),
                " ".join(tags),
            ]
    out += [mission.format(area="Little Village", noun_l="arts") for mission in MISSIONS]
    out += [mission.format(area="Little Village") for mission in MISSIONS_ES]
    return out


@pytest.mark.parametrize("lang", [None, "en", "es"])
@pytest.mark.parametrize("format_", [Frequency(), Positions()], ids=["frequency", "positions"])
def test_cached_analyzer_indexes_exactly_like_the_plain_chain(lang, format_):
    cached, plain = analysis.analyzer(lang), analysis.plain_analyzer(lang)
    for _round in range(2):  # the second round is answered from the cache
        for text in texts():
            got = sorted(format_.word_values(text, cached, mode="index"))
            want = sorted(format_.word_values(text, plain, mode="index"))
            assert got == want, text


def test_positions_skip_stop_words_like_the_plain_chain():
    tokens = [
        (t.text, t.pos) for t in analysis.analyzer("en")("the robotics of the city", positions=True, mode="index")
    ]
    assert tokens == [("robot", 1), ("citi", 2)]


def test_queries_and_highlighting_use_the_plain_chain():
    cached = analysis.analyzer("es")
    spans = [(t.text, t.startchar, t.endchar) for t in cached("La Robótica", chars=True)]
    assert spans == [("robot", 3, 11)]
    assert [t.text for t in cached("de la tecnología", mode="query")] == ["tecnologi"]


@pytest.mark.parametrize("lang", [None, "en", "es"])
def test_highlight_spans_are_where_the_plain_chain_finds_the_words(lang):
    cached, plain = analysis.analyzer(lang), analysis.plain_analyzer(lang)
    every = {t.text for text in texts() for t in plain(text, mode="index")}
    some = set(sorted(every)[::7]) | {"robot", "pilsen", "tecnologi"}
    for _round in range(2):  # the second round is answered from the cache
        for text in texts():
            for terms in (every, some, set()):
                want = [(t.startchar, t.endchar) for t in plain(text, chars=True, removestops=True) if t.text in terms]
                assert cached.spans(text, terms) == want, text
    if lang == "en":
        assert cached.spans("The Robotics club, robots", {"robot"}) == [(4, 12), (19, 25)]


def test_the_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(analysis, "CACHE_WORDS", 3)
    cached = analysis.analyzer("en")
    list(cached("one two three four five six", mode="index"))
    assert 0 < len(cached._words) <= 3
    assert [t.text for t in cached("seven robotics", mode="index")] == ["seven", "robot"]


def test_the_cache_is_not_stored_with_the_schema():
    cached = analysis.analyzer("en")
    list(cached("robotics welding nursing", mode="index"))
    restored = pickle.loads(pickle.dumps(cached))
    assert cached._words and restored._words == {}
    assert b"welding" not in pickle.dumps(cached)
    assert restored == analysis.analyzer("en")
    assert [t.text for t in restored("welding", mode="index")] == ["weld"]


def test_body_words_leave_out_what_the_title_and_summary_have():
    body = "Robotics club for teens. ROBOTICS again, node.js and e-mail!"
    assert analysis.words_not_in(body, "The robotics CLUB", None, "") == "for teens again node.js and e mail"
    assert analysis.words_not_in(body, "node.js e") == "Robotics club for teens ROBOTICS again and mail"
    assert analysis.words_not_in("", "x") == "" and analysis.words_not_in(None) == ""


def test_leaving_out_seen_words_loses_no_term():
    """Every term of the full body is in the shortened body or in the text it was compared with."""
    en = analysis.plain_analyzer("en")
    all_texts = texts()
    for body, seen in zip(all_texts, all_texts[1:] + all_texts[:1], strict=False):
        kept = {t.text for t in en(analysis.words_not_in(body, seen), mode="index")}
        seen_terms = {t.text for t in en(seen, mode="index")}
        assert {t.text for t in en(body, mode="index")} <= kept | seen_terms, body


def test_the_word_pattern_finds_what_whoosh_default_tokenizer_finds():
    from whoosh.analysis import RegexTokenizer

    default = RegexTokenizer()
    for text in texts():
        assert analysis.raw_words(text) == [t.text for t in default(text)], text
