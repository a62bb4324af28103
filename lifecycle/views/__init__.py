"""Lifecycle pages, one module per concern."""
