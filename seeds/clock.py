"""Every timestamp of a seeding run derives from ``today``: the same day gives the same data."""

from datetime import UTC, date, datetime, time, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


class SeedClock:
    """``now`` is 09:00 in Qingdao on ``today``; shift times are Qingdao wall-clock times, stored in UTC."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.now = datetime.combine(today, time(9, 0), BEIJING).astimezone(UTC)

    def ago(self, days: float) -> datetime:
        """The instant ``days`` before now, to the second."""
        return self.now - timedelta(seconds=round(days * 86400))

    def after(self, moment: datetime, hours: float) -> datetime:
        return moment + timedelta(seconds=round(hours * 3600))

    def local(self, day: date, minute: int) -> datetime:
        """``minute`` minutes after midnight of ``day`` in Qingdao, as UTC."""
        return (datetime.combine(day, time(), BEIJING) + timedelta(minutes=minute)).astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(BEIJING).date()
