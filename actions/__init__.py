"""Rasa custom actions: thin adapters from tracker state to `bot/`, one module per feature.

`rasa run actions` registers every action of this package by itself.
"""
