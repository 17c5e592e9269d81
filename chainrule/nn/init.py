"""chainrule.nn.init (filled in by its owner)."""
