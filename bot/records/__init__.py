"""The system of record in PostgreSQL: what a coop must keep, or must be able to erase.

Redis keeps what is ephemeral or Rasa's (trackers, locks, dedupe marks, rate limits, live
notifications). The schema is made by the Alembic migrations in `migrations/`.
"""
