"""Terminal user interface: elicitation forms, progress lines and sampling review."""
