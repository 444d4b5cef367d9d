"""Members, consent and the audit trail in PostgreSQL.

`members` is the coop's registry (a family may share a phone, so the phone is indexed, not
unique). `consents` is an append-only history of answers per subject (a pseudonym of the sender).
`audit` is append-only: a trigger refuses every UPDATE, and every DELETE except the retention
purge, which sets `coopsante.audit_purge_before` for its transaction and may delete only rows
older than that instant (bot/platform/audit.py, AuditLog.purge_expired). An entry imported from Redis
(ops/import_redis_records.py) keeps where it came from in `origin`: importing twice adds nothing.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NOW = sa.text("now()")

GUARD = """
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    purge_before text := current_setting('coopsante.audit_purge_before', true);
BEGIN
    IF TG_OP = 'DELETE' AND purge_before IS NOT NULL AND purge_before <> ''
            AND OLD.at < purge_before::timestamptz THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
"""


def upgrade() -> None:
    op.create_table(
        "members",
        sa.Column("number", sa.Text, primary_key=True),
        sa.Column("first_name", sa.Text, nullable=False),
        sa.Column("last_name", sa.Text, nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("phone", sa.Text, nullable=False, index=True),
        sa.Column("coop", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("telemedicine_until", sa.Date, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("origin", sa.Text, nullable=True, unique=True),  # an imported entry's Redis key
        sa.CheckConstraint("answer IN ('oui', 'non', 'retire')", name="consents_answer"),
    )
    op.create_index("consents_subject", "consents", ["subject", "id"])
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("event", sa.Text, nullable=False, server_default=""),
        sa.Column("outcome", sa.Text, nullable=False, server_default=""),
        sa.Column("subjects", sa.Text, nullable=False, server_default=""),
        sa.Column("actor", sa.Text, nullable=False, server_default=""),
        sa.Column("action", sa.Text, nullable=False, server_default=""),
        sa.Column("ticket", sa.Text, nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("coop", sa.Text, nullable=False, server_default=""),
        sa.Column("origin", sa.Text, nullable=True, unique=True),  # an imported entry's Redis stream id
        sa.CheckConstraint("kind IN ('access', 'security')", name="audit_kind"),
    )
    op.create_index("audit_kind_id", "audit", ["kind", "id"])
    op.create_index("audit_at", "audit", ["at"])
    op.create_index("audit_actor", "audit", ["actor", "id"])
    op.create_index("audit_ticket", "audit", ["ticket", "id"])
    op.create_index("audit_coop", "audit", ["coop", "id"])
    op.execute(GUARD)


def downgrade() -> None:
    op.drop_table("audit")
    op.execute("DROP FUNCTION audit_append_only()")
    op.drop_table("consents")
    op.drop_table("members")
