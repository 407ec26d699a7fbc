"""Anonymous tips about faked figures, with receipts, and their investigation."""
