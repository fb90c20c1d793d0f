"""Scheduled starts: each period of each enabled schedule starts its process exactly once.

The period key (``ScheduledStart``'s unique constraint) is what makes "once" true with several
workers: the second worker's insert fails and its transaction rolls back. Periods before the
schedule became active are never back-filled; a period missed while no worker ran starts once when
one catches up.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from engine import schedule as cron
from engine.models import Schedule, ScheduledStart

log = logging.getLogger(__name__)


def spec_of(row: Schedule) -> cron.Schedule:
    return cron.Schedule(cron=row.cron, tz=row.tz, first_working_day=row.first_working_day)


def quarter_for(which: str, moment: datetime, tz: str = "Europe/Moscow") -> str:
    """The quarter a process runs for, by the file's ``schedule_quarter`` property: ``next`` (trade
    conditions are agreed for the coming quarter), ``previous`` (bonuses are paid for the quarter
    just ended) or ``current``."""
    local = moment.astimezone(cron.ZoneInfo(tz)).date()
    return {"next": cron.next_quarter, "previous": cron.previous_quarter}.get(which, cron.quarter_of)(local)


def variables_for(row: Schedule, occurrence: cron.Occurrence) -> dict[str, str]:
    """The start variables of a scheduled period (its quarter, for quarterly processes)."""
    version = row.definition.current
    which = (version.properties or {}).get("schedule_quarter") if version else None
    if not which:
        return {}
    return {"quarter": quarter_for(which, occurrence.nominal, row.tz)}


def start_due_periods(now: datetime) -> tuple[int, list[str]]:
    from engine import services

    started, errors = 0, []
    for row in Schedule.objects.filter(enabled=True).select_related("definition__current"):
        spec = spec_of(row)
        last = row.starts.order_by("-fire_at").values_list("fire_at", flat=True).first()
        after = max(row.active_since, last) if last else row.active_since
        try:
            due = cron.occurrences(spec, after - timedelta(microseconds=1) if last is None else after, now)
        except ValueError as error:
            errors.append(f"{row}: {error}")
            continue
        for occurrence in due:
            if occurrence.fire_at < row.active_since:
                continue
            if row.starts.filter(period_key=occurrence.period_key).exists():
                continue
            try:
                with transaction.atomic():
                    record = ScheduledStart.objects.create(
                        schedule=row, period_key=occurrence.period_key, fire_at=occurrence.fire_at, started_at=now
                    )
                    try:
                        with transaction.atomic():
                            instance = services.start(
                                row.definition.key, variables=variables_for(row, occurrence), scheduled=True
                            )
                        record.instance = instance
                        record.save(update_fields=["instance"])
                        started += 1
                    except services.Conflict as conflict:
                        # Somebody started this period by hand already: the period is done.
                        record.error = conflict.message
                        record.save(update_fields=["error"])
            except IntegrityError:
                continue  # another worker took this period
            except Exception as error:  # a bad schedule must not stop the sweep
                log.exception("scheduled start of %s failed", row)
                errors.append(_("%(schedule)s: %(error)s") % {"schedule": row, "error": error})
    return started, errors
