"""Built-in node implementations, registered by type in :mod:`iza.workflows.nodes._registry`."""

from iza.workflows.nodes._registry import is_supported, lookup, register, supported_types

__all__ = ["is_supported", "lookup", "register", "supported_types"]
