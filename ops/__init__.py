"""Commands a coop operator runs in production: member and schedule imports, Redis to PostgreSQL import,
purge, pseudonym rekey, console accounts. Developers' tools are in tools/."""
