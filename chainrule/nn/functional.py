"""chainrule.nn.functional (filled in by its owner)."""
