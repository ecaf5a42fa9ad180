"""Background tasks of the standards (run by `nongan db_worker`; inline in tests).

``import_standards`` checks and applies a large uploaded table. It is declared in ``services/uploads.py``, beside
the upload service that enqueues it, so the module graph has no circle (this module imports services, services
never import it); it stays reachable here under the path the worker knows.
"""

from .services.uploads import import_standards

__all__ = ["import_standards"]
