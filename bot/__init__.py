"""Plain Python core of Coop Santé Triage: no Rasa imports, every rule testable as a function."""
