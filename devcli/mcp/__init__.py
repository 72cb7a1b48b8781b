"""Tools from Model Context Protocol servers: configuration, consent, connections, adapters.

Nothing here is imported unless `mcp_servers` is configured, so the SDK costs nothing to a
session without servers.
"""
