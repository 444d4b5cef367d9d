"""Service records for the coop managers' dashboard, and the no-show and move marks of a booking.

`service_events` holds one de-identified row per member turn: coop, channel, the hour it happened,
the disposition, how the turn was handed on, the answer's topic, whether the bot did not understand,
and two pseudonyms (bot/platform/pseudonym.py) that only count distinct conversations and members. No phone,
name, member number or message text; the text of a question the bot did not understand only when
the member consented to improvement use (a check keeps it off every other row).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE service_events (
        id bigserial PRIMARY KEY,
        coop text NOT NULL,
        channel text NOT NULL,
        hour timestamptz NOT NULL,
        conversation_key text NOT NULL,
        member_key text NOT NULL DEFAULT '',
        disposition text NOT NULL DEFAULT 'info',
        handed text NOT NULL DEFAULT '',
        topic text NOT NULL DEFAULT '',
        fallback boolean NOT NULL DEFAULT false,
        question text,
        CONSTRAINT service_events_hour CHECK (hour = date_trunc('hour', hour)),
        CONSTRAINT service_events_disposition
            CHECK (disposition IN ('911', 'crise', 'urgence', 'clinicien', 'consultation', 'info')),
        CONSTRAINT service_events_question_when CHECK (question IS NULL OR (fallback AND length(question) <= 200))
    )
    """,
    "CREATE INDEX service_events_by_coop_hour ON service_events (coop, hour)",
    "ALTER TABLE bookings ADD COLUMN no_show_at timestamptz",
    "ALTER TABLE bookings ADD COLUMN no_show_by text",
    "ALTER TABLE bookings ADD COLUMN moved_to text",
    "ALTER TABLE bookings ADD CONSTRAINT bookings_no_show_whole CHECK ((no_show_at IS NULL) = (no_show_by IS NULL))",
]

DOWNGRADE = [
    "ALTER TABLE bookings DROP CONSTRAINT bookings_no_show_whole",
    "ALTER TABLE bookings DROP COLUMN moved_to",
    "ALTER TABLE bookings DROP COLUMN no_show_by",
    "ALTER TABLE bookings DROP COLUMN no_show_at",
    "DROP TABLE service_events",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
