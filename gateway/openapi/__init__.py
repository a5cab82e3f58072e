"""The OpenAPI 3.1 document of the gateway's HTTP API, served at ``/openapi.json``.

It is generated, not written: request bodies come from the pydantic models the handlers validate with
(``StartBody``, ``MessageBody``, ``CustomerIn``, ``WebhookEvent``), enums from the relay's model, error
codes and statuses from ``problems.STATUS``, and size limits from the settings the app runs with. The
answers' shapes are the typed dicts in ``answers``; ``tests/openapi`` checks them against the running
gateway with schemathesis, and checks that every route of the app is documented (or listed in
``NOT_DOCUMENTED`` with the reason).
"""

from gateway.openapi.document import NOT_DOCUMENTED, build_document, openapi_handler

__all__ = ["NOT_DOCUMENTED", "build_document", "openapi_handler"]
