"""Language and time zone of the person viewing a page.

Indonesian unless the user picked another supported language. Times are shown in the
viewer's zone — their unit's (WIB, WITA or WIT), or the agency's — always with its name,
so "14:30" on a deadline is never ambiguous between Aceh and Papua.
"""

from datetime import datetime

from flask import current_app, has_request_context, session
from flask_babel import format_datetime, format_time, get_timezone

# Indonesia's three zones by their common names; any other zone shows its UTC offset.
ZONE_LABELS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


def select_locale() -> str:
    chosen = session.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str | None:
    from flask_login import current_user

    if has_request_context():
        zone = getattr(current_user, "timezone", None)
        if zone:
            return zone
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def zone_label() -> str:
    """The viewer's zone as people name it (WIB, WITA, WIT), else its offset from UTC."""
    zone = get_timezone()
    if str(zone) in ZONE_LABELS:
        return ZONE_LABELS[str(zone)]
    return f"UTC{datetime.now(zone).utcoffset().total_seconds() / 3600:+g}"


def format_clock(moment: datetime) -> str:
    """A stored (UTC) time as the viewer's clock time with its zone: "14:30 WITA"."""
    return f"{format_time(moment, 'short')} {zone_label()}"


def format_moment(moment: datetime) -> str:
    """A stored (UTC) time as the viewer's date and time with its zone."""
    return f"{format_datetime(moment, 'd MMM y, HH:mm')} {zone_label()}"
