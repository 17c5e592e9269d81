"""nn.utils (filled in by its owner)."""
