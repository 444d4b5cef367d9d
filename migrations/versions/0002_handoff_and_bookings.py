"""Handoff tickets and their threads, availability blocks, bookings and their reminders.

The invariants live in the schema: a ticket is claimed once (a trigger refuses to change who holds
it, and `claimed_by`, `claimed_at` and the status go together), and a slot holds one booking that is
not cancelled (a unique partial index). An anonymised booking keeps no member data (a check).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UPGRADE = [
    """
    CREATE TABLE handoff_tickets (
        id text PRIMARY KEY,
        conversation text NOT NULL,
        channel text NOT NULL,
        coop text NOT NULL DEFAULT '',
        disposition text NOT NULL,
        reasons jsonb NOT NULL DEFAULT '[]',
        summary jsonb NOT NULL DEFAULT '{}',
        member_number text NOT NULL DEFAULT '',
        member_name text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'attente',
        claimed_by text,
        claimed_by_name text NOT NULL DEFAULT '',
        claimed_at timestamptz,
        closed_at timestamptz,
        outcome text NOT NULL DEFAULT '',
        flagged boolean NOT NULL DEFAULT false,
        wait_notice_sent boolean NOT NULL DEFAULT false,
        CONSTRAINT handoff_tickets_status CHECK (status IN ('attente', 'pris', 'ferme')),
        CONSTRAINT handoff_tickets_claim_whole CHECK ((claimed_by IS NULL) = (claimed_at IS NULL)),
        CONSTRAINT handoff_tickets_taken_is_claimed CHECK (status <> 'pris' OR claimed_by IS NOT NULL),
        CONSTRAINT handoff_tickets_waiting_is_unclaimed CHECK (status <> 'attente' OR claimed_by IS NULL),
        CONSTRAINT handoff_tickets_closed_when CHECK ((status = 'ferme') = (closed_at IS NOT NULL))
    )
    """,
    "CREATE INDEX handoff_tickets_by_conversation ON handoff_tickets (conversation, created_at)",
    "CREATE INDEX handoff_tickets_by_member ON handoff_tickets (member_number) WHERE member_number <> ''",
    "CREATE INDEX handoff_tickets_waiting ON handoff_tickets (created_at) WHERE status = 'attente'",
    "CREATE INDEX handoff_tickets_taken ON handoff_tickets (claimed_by) WHERE status = 'pris'",
    "CREATE INDEX handoff_tickets_closed ON handoff_tickets (closed_at) WHERE status = 'ferme'",
    """
    CREATE FUNCTION handoff_tickets_one_claim() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.claimed_by IS NOT NULL AND NEW.claimed_by IS DISTINCT FROM OLD.claimed_by THEN
            RAISE EXCEPTION 'ticket % is claimed already', OLD.id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER handoff_tickets_one_claim BEFORE UPDATE OF claimed_by ON handoff_tickets
    FOR EACH ROW EXECUTE FUNCTION handoff_tickets_one_claim()
    """,
    """
    CREATE TABLE handoff_messages (
        id bigserial PRIMARY KEY,
        ticket_id text NOT NULL REFERENCES handoff_tickets (id) ON DELETE CASCADE,
        kind text NOT NULL,
        author text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        flagged boolean NOT NULL DEFAULT false,
        posted_at timestamptz NOT NULL
    )
    """,
    "CREATE INDEX handoff_messages_thread ON handoff_messages (ticket_id, id)",
    """
    CREATE TABLE availability_blocks (
        id bigserial PRIMARY KEY,
        clinician text NOT NULL,
        clinician_type text NOT NULL,
        coop text NOT NULL,
        modalities text[] NOT NULL,
        starts_at timestamptz NOT NULL,
        ends_at timestamptz NOT NULL,
        CONSTRAINT availability_blocks_type CHECK (clinician_type IN ('medecin', 'ips', 'infirmiere')),
        CONSTRAINT availability_blocks_order CHECK (ends_at > starts_at),
        CONSTRAINT availability_blocks_once UNIQUE (clinician, clinician_type, coop, modalities, starts_at, ends_at)
    )
    """,
    "CREATE INDEX availability_blocks_by_start ON availability_blocks (starts_at)",
    """
    CREATE TABLE bookings (
        id text PRIMARY KEY,
        slot_id text NOT NULL,
        member_number text,
        member_name text,
        conversation text,
        channel text NOT NULL,
        coop text NOT NULL,
        need text NOT NULL,
        summary jsonb,
        modality text NOT NULL,
        clinician text NOT NULL,
        clinician_type text NOT NULL,
        starts_at timestamptz NOT NULL,
        minutes integer NOT NULL,
        status text NOT NULL DEFAULT 'confirme',
        created_at timestamptz NOT NULL,
        booked_by text NOT NULL DEFAULT 'membre',
        anonymised_at timestamptz,
        CONSTRAINT bookings_status CHECK (status IN ('confirme', 'annule')),
        CONSTRAINT bookings_minutes CHECK (minutes > 0),
        CONSTRAINT bookings_anonymised CHECK (
            anonymised_at IS NULL
            OR (member_number IS NULL AND member_name IS NULL AND conversation IS NULL AND summary IS NULL)
        )
    )
    """,
    "CREATE UNIQUE INDEX bookings_one_per_slot ON bookings (slot_id) WHERE status = 'confirme'",
    "CREATE INDEX bookings_by_member ON bookings (member_number, starts_at)",
    "CREATE INDEX bookings_by_clinician ON bookings (clinician, starts_at)",
    "CREATE INDEX bookings_by_conversation ON bookings (conversation)",
    "CREATE INDEX bookings_to_anonymise ON bookings (starts_at) WHERE anonymised_at IS NULL",
    """
    CREATE TABLE booking_reminders (
        booking_id text NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
        kind text NOT NULL,
        due_at timestamptz NOT NULL,
        sent_at timestamptz,
        PRIMARY KEY (booking_id, kind),
        CONSTRAINT booking_reminders_kind CHECK (kind IN ('veille', 'heure'))
    )
    """,
    "CREATE INDEX booking_reminders_due ON booking_reminders (due_at) WHERE sent_at IS NULL",
]

DOWNGRADE = [
    "DROP TABLE booking_reminders",
    "DROP TABLE bookings",
    "DROP TABLE availability_blocks",
    "DROP TABLE handoff_messages",
    "DROP TABLE handoff_tickets",
    "DROP FUNCTION handoff_tickets_one_claim()",
]


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
