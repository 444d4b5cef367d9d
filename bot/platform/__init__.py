"""What every feature stands on: settings, text normalisation, language, pseudonyms, the audit trail,
log redaction, SMS encoding rules and where a conversation lives in Redis."""
