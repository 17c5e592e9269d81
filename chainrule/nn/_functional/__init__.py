"""The implementation of ``chainrule.nn.functional``, one module per family."""
