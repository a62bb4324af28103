"""Lifecycle models, one module per concern; every model is imported here."""

from lifecycle.models.settings import LifecycleSettings

__all__ = ["LifecycleSettings"]
