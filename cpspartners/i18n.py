"""Language choice: an explicit choice (cookie) wins, then Accept-Language, then English."""

from flask import has_request_context, request
from flask_babel import get_locale, refresh

LANG_COOKIE = "lang"


def select_locale():
    from flask import current_app

    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # a command or a job: callers use force_locale for a person's language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or supported[0]


def init_i18n(app, babel):
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=_translations_dir(),
    )

    # Flask-Babel caches the locale on ``g``; a fresh choice for every request keeps a
    # long-lived app context (the test client, CLI scripts) from reusing an old one.
    app.before_request(refresh)

    @app.context_processor
    def inject_locale():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}

    @app.after_request
    def vary_on_language(response):
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response


def _translations_dir():
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "translations")
