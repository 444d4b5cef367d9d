"""SMS in plain Python: what the channel does with a message, the carrier keywords (STOP, AIDE...) and
opt-outs, and the one sender through Twilio. The GSM-7 and segment rules are bot/platform/sms_text.py."""
