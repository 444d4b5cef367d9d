"""Handoff to a person: tickets and the queue (desk), clinicians' console accounts, and the notes the bot
writes for them."""
