"""The clinician handoff console: a small web app beside the bot (python -m console)."""
