"""Lifecycle services, one module per concern (DESIGN.md, Layout): every write is here."""
