"""Rasa input channels of Coop Santé Triage.

For local use the assistant listens on Rasa's own REST channel (credentials.yml). The SMS channel
(Twilio) and the web chat widget's channel live here as modules of their own, each checking its
input at the door before anything reaches the bot.
"""
