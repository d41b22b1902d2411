"""Language choice: Indonesian unless the user picked another supported language."""

from flask import current_app, has_request_context, session


def select_locale() -> str:
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]
