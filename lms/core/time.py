"""Time: stored in UTC (naive, as the database keeps it), shown in the agency's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def local_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_today() -> date:
    return datetime.now(local_zone()).date()


def local_to_utc(moment: datetime) -> datetime:
    """A naive wall-clock time in the agency's zone, as naive UTC like the database keeps."""
    return moment.replace(tzinfo=local_zone()).astimezone(UTC).replace(tzinfo=None)


def utc_to_local_date(moment: datetime) -> date:
    """The agency's calendar day of a stored (naive UTC) time."""
    return moment.replace(tzinfo=UTC).astimezone(local_zone()).date()


def year_bounds_utc(year: int) -> tuple[datetime, datetime]:
    """The calendar year in the agency's zone, as naive UTC bounds [start, end)."""
    return local_to_utc(datetime(year, 1, 1)), local_to_utc(datetime(year + 1, 1, 1))
