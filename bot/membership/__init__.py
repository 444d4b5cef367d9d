"""Membership: the registry (members, store, match), and the gate before anything clinical: consent,
identity checks (date of birth, one-time codes, attempts, web identity), eligibility."""
