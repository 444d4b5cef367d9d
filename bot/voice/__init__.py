"""The phone line in plain Python: a call's decisions, spoken words read, replies written for the ear,
and TwiML."""
