"""Language choice: an explicit choice (cookie) wins, then the signed-in person's account, then
Accept-Language, then English. A choice made on a page is saved on the account too
(``directory.set_language``), so the account and this browser agree."""

from flask import g, has_request_context, request
from flask_babel import Domain, get_locale, refresh
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

LANG_COOKIE = "lang"


def _lazy_message_as_html(message: LazyString) -> Markup:
    """A translated message is text: in a page its characters are escaped like any other text.

    Flask-Babel's lazy strings say they are HTML already (their ``__html__`` returns them as they
    are), so a message formatted with what someone typed, ``_l("We found no organization called
    %(name)s", name=field.data)``, came back as markup wherever Jinja met it: a field's errors,
    ``errors|join``, a notice. No message of ours holds markup on purpose, and escaping one that
    holds none changes nothing on the page; the plain text (``str``: email, CSV, logs) keeps what
    was typed. Set here, once, so it holds for every lazy message on every path.
    """
    return escape(str(message))


LazyString.__html__ = _lazy_message_as_html  # type: ignore[method-assign]


class QuickDomain(Domain):
    """Flask-Babel's message domain, finding the request's translations once rather than per message.

    For every message Flask-Babel finds the translations again: about nine lookups through ``g``
    and a new ``str(locale)`` each, a tenth of the time a list page of 20 cards took to build
    (docs/benchmarks.md). Here what it found is kept on its own per-context namespace beside
    the locale object it was found for. A new locale object (``refresh`` at each request, a
    ``force_locale`` for mail in another language, and its end) finds them again, so nothing is
    reused past where Flask-Babel itself would reuse it.
    """

    def get_translations(self):
        try:
            ctx = g._flask_babel
        except (AttributeError, RuntimeError):  # before Flask-Babel's first look, or no app context
            return super().get_translations()
        locale = getattr(ctx, "babel_locale", None)
        memo = getattr(ctx, "cps_translations", None)
        if locale is not None and memo is not None and memo[0] is locale and memo[1] is self:
            return memo[2]
        translations = super().get_translations()
        ctx.cps_translations = (getattr(ctx, "babel_locale", None), self, translations)
        return translations


DOMAIN = QuickDomain()  # "messages", Flask-Babel's default and ours


def locale_name() -> str:
    """``str(get_locale())`` ("en", "es"), made once per locale object as ``QuickDomain`` does."""
    try:
        ctx = g._flask_babel
    except (AttributeError, RuntimeError):
        return str(get_locale())
    # None until chosen, and None again after a force_locale that began before it was chosen.
    locale = getattr(ctx, "babel_locale", None)
    if locale is None:
        locale = get_locale()
    memo = getattr(ctx, "cps_locale_name", None)
    if memo is not None and memo[0] is locale:
        return memo[1]
    name = str(locale)
    ctx.cps_locale_name = (locale, name)
    return name


def select_locale():
    from flask import current_app

    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # a command or a job: callers use force_locale for a person's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in supported:
        return chosen
    account = _account_language()
    if account in supported:
        return account
    return request.accept_languages.best_match(supported) or supported[0]


def _account_language():
    """The signed-in person's language, read without loading anything a visitor lacks."""
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return current_user.preferred_language
    return None


def init_i18n(app, babel):
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=_translations_dir(),
    )

    # One domain for every app (Flask-Babel keeps it on the shared Babel object), and the page's
    # gettext calls go to it directly rather than through ``get_domain()`` each time.
    domain = babel.domain_instance = DOMAIN
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    # Flask-Babel caches the locale on ``g``; a fresh choice for every request keeps a
    # long-lived app context (the test client, CLI scripts) from reusing an old one.
    app.before_request(refresh)

    @app.context_processor
    def inject_locale():
        return {"current_locale": locale_name(), "languages": app.config["LANGUAGES"]}

    @app.after_request
    def vary_on_language(response):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response


def _translations_dir():
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")


def freeze(message: object) -> object:
    """A message as plain JSON data that can be translated later, in the reader's language.

    Work that leaves the request (a large import's dry run) has no reader: a lazy message it turns
    into text there comes out in the default language. ``freeze`` keeps the message id and its
    values instead (``{"msgid": ..., "values": {...}}``, values frozen in turn), and ``thaw`` gives
    the text in the locale of whoever reads it. Plain text passes through as it is.
    """
    if isinstance(message, LazyString) and getattr(message._func, "__name__", "") == "gettext" and message._args:
        return {"msgid": message._args[0], "values": {k: freeze(v) for k, v in message._kwargs.items()}}
    if isinstance(message, str | int | float | bool) or message is None:
        return message
    return str(message)


def thaw(frozen: object) -> object:
    """The text of a ``freeze``d message in the current locale."""
    from flask_babel import gettext

    if isinstance(frozen, dict) and "msgid" in frozen:
        values = {k: thaw(v) for k, v in (frozen.get("values") or {}).items()}
        # Looked up outside the call: Babel's extractor would take a literal inside it for a message.
        message_id = frozen["msgid"]
        return gettext(message_id, **values)
    return frozen
