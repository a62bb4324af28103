"""Receivers of lower apps' signals: each calls one lifecycle service (DESIGN.md, Layout)."""
