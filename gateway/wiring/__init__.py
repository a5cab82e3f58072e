"""The gateway's resources, one aiohttp cleanup context each (``gateway.app`` appends them in ``CONTEXTS``'
order). A context opens its resource, stores it under a typed key, and after ``yield`` closes it; aiohttp
closes only what was opened, in reverse order, so a failed start-up cleans up what came before it.

A setting that cannot be used ends start-up as ``StartupError`` naming it (``chat-gateway serve`` prints the
one line).
"""
