"""The kernel: settings, data home, store, event bus and component registry.

Submodules are imported on demand (``from iza.kernel.store import Store``) so that the CLI can
start without importing SQLAlchemy; this package's ``__init__`` stays empty of imports.
"""

__all__: list[str] = []
