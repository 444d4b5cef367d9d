"""python -m console.worker: the console's timed work, as its own process next to the console.

Three jobs, every few seconds: the no-answer notice (a member whose request nobody claimed in time
is told so, once; the ticket stays queued), the booking reminders that are due (the day before, an
hour before), and, every hour, the purge of the records past their retention in every store.
They run here, not in the console, so that reminders go out while the console is stopped or being
restarted.

Two workers may run at once (a restart that overlaps, two servers): each reminder and each notice is
taken in PostgreSQL by one `UPDATE ... WHERE not yet sent` (bot/booking/store.py `due_reminders`,
bot/handoff/desk.py `take_wait_notice`), so only the worker that took it sends it. The purge is
idempotent.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import time
from dataclasses import dataclass
from datetime import datetime

from bot.booking.availability import QUEBEC
from bot.booking.flow import booking_message, language_of
from bot.booking.store import BookingStore, ReminderMarks
from bot.content import Content, load_content
from bot.handoff.desk import HandoffDesk
from bot.platform.redis_clients import sync_client
from bot.platform.settings import load_settings
from bot.records.database import engine_for
from bot.records.retention import purge_all, record_stores
from bot.sms.keywords import OptOuts
from bot.sms.sender import SmsSender, TwilioSettings
from console.delivery import MemberDelivery

log = logging.getLogger("console.worker")  # its name under python -m too

PURGE_EVERY_SECONDS = 3600


@dataclass
class Worker:
    """The timed jobs over the stores they read and the member delivery they send with."""

    desk: HandoffDesk
    bookings: BookingStore
    content: Content
    delivery: MemberDelivery
    timeout_seconds: float = 300.0  # a request unclaimed this long gets the no-answer notice

    async def run(self) -> None:
        """Forever: the jobs, then a pause of a quarter of the timeout (0.5 to 5 s)."""
        purged = 0.0
        while True:
            try:
                if not purged or time.monotonic() - purged >= PURGE_EVERY_SECONDS:
                    await asyncio.to_thread(self.purge_expired)
                    purged = time.monotonic()
                await self.tell_waiting_members()
                await self.send_reminders()
            except Exception:
                log.exception("console.timer_failed")
            await asyncio.sleep(max(0.5, min(5.0, self.timeout_seconds / 4)))

    async def tell_waiting_members(self) -> None:
        """Tell members honestly when nobody claimed their request in time; their ticket stays queued."""
        for ticket in self.desk.overdue(self.timeout_seconds):
            if not self.desk.take_wait_notice(ticket.id):
                continue  # another worker told them, or a clinician claimed it meanwhile
            waiting = self.content.say("relais.attente", language_of(ticket.summary), ticket.coop)
            await self.delivery.send(ticket, waiting)
            self.desk.post(ticket.id, "avis", "", "Le membre a été avisé de l'attente (811, rendez-vous).")

    async def send_reminders(self) -> None:
        """Booking reminders that are due: kept in PostgreSQL, so a restart loses none, and each sent once."""
        marks = ReminderMarks(self.desk.redis)
        for booking, kind in self.bookings.due_reminders(time.time()):
            language = language_of(booking.summary)
            # ANNULER in answer is about this booking, whichever reminder it follows (the last one may be
            # another booking's): the 1 h reminder's ANNULER gets "too late to cancel", never another booking.
            marks.mark(booking.conversation, booking)
            key = "rdv.rappel_veille" if kind == "veille" else "rdv.rappel_heure"
            await self.delivery.send(booking, booking_message(self.content, key, booking, language))

    def purge_expired(self) -> None:
        """The records past their retention, in every store of the system of record (bot/records/retention.py)."""
        counts = purge_all(record_stores(self.desk.engine, self.desk.redis, load_settings()), datetime.now(QUEBEC))
        log.info("console.purged %s", " ".join(f"{name}={count}" for name, count in counts.items()))


def worker_from_env() -> Worker:
    """The worker over the same settings as the console (DATABASE_URL, REDIS_URL, Twilio, RASA_URL)."""
    settings = load_settings()
    if not settings.database_url:
        raise SystemExit("DATABASE_URL is not set: `make run` starts PostgreSQL and sets it")
    database = engine_for(settings.database_url)
    client = sync_client(settings.redis_url)
    content = load_content(settings.content_dir, settings.default_coop)
    return Worker(
        desk=HandoffDesk(database, client, settings.tracker_retention_seconds),
        bookings=BookingStore(database),
        content=content,
        delivery=MemberDelivery(SmsSender(TwilioSettings.from_env(), OptOuts(client)), content, settings.redis_url),
        timeout_seconds=settings.console.handoff_timeout_seconds,
    )


async def _serve(worker: Worker) -> None:
    """Run until SIGTERM or SIGINT (a service manager's stop), then end cleanly."""
    loop = asyncio.get_running_loop()
    task = asyncio.create_task(worker.run())
    for stop in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        log.info("console.worker_stopped")


def main() -> None:
    argparse.ArgumentParser(description="The console's timed work: no-answer notices, reminders, purge").parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    worker = worker_from_env()
    log.info("console.worker_started timeout=%s", worker.timeout_seconds)
    asyncio.run(_serve(worker))


if __name__ == "__main__":
    main()
