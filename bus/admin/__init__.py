"""The operators' side of the hub (運用): the admin listener apart from the SOAP listener.

- ``controls``: maintenance mode and paused subscribers/routes — pure decisions;
- ``state_file``: those controls kept across restarts;
- ``metrics``: Prometheus metrics (``GET /metrics``);
- ``traffic``: recent traffic per service and provider health, for the dashboard and readiness;
- ``readiness``: ``GET /health`` and ``GET /ready``;
- ``sessions``: console login, sessions that expire, CSRF tokens, roles — pure;
- ``service``: the operator actions (each one a routing-log record with who and why);
- ``server`` and ``console/``: the HTTP face (twisted.web) and the web console's pages.
"""
