"""The web interface: dashboards (server-rendered), the JSON API under ``/api/v1`` and webhooks."""

__all__: list[str] = []
