"""nn modules (filled in by their owners)."""
