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


def year_bounds_utc(year: int) -> tuple[datetime, datetime]:
    """The calendar year in the agency's zone, as naive UTC bounds [start, end)."""
    zone = local_zone()
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)
    return start, end
