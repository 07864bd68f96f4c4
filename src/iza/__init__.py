"""IZA OS: an offline-first operating system for a services business run by AI agents.

Importing ``iza`` is cheap on purpose: it imports no subsystem. Use the subsystem packages
(``iza.kernel``, ``iza.memory`` …) directly.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
