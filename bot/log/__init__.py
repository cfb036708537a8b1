"""The question log: SQLite storage (`store`), masking personal data (`privacy`), aggregate
reports for leaders (`reports`) and their output formats (`formats`)."""
