"""Time: stored in UTC (naive, as the database keeps it), shown in the agency's zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def from_epoch_ms(value) -> datetime | None:
    """A device's clock reading (milliseconds since 1970, as JavaScript's Date.now() gives
    it) as naive UTC, or None when it is not a plausible one."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 2**45:
        return None
    return datetime.fromtimestamp(value / 1000, UTC).replace(tzinfo=None)


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


@dataclass(frozen=True)
class Period:
    """A run of the agency's calendar days, half-open: ``start`` is in it, ``end`` is not.
    Every report and the JP ledger count by these, so a day is never in two periods."""

    start: date
    end: date

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year + 1, 1, 1))

    @classmethod
    def days(cls, first: date, last: date) -> Period:
        """From ``first`` to ``last``, both days included (as a person says a period)."""
        return cls(first, last + timedelta(days=1))

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """As naive UTC bounds [from, to), for comparing with stored times."""
        return local_to_utc(datetime.combine(self.start, time())), local_to_utc(
            datetime.combine(self.end, time())
        )
