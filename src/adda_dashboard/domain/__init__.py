"""Pure rules of the tracker: no I/O here."""
