"""Rasa graph components and stores of Coop Santé Triage (thin adapters over `bot/`)."""
