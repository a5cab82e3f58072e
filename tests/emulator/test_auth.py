"""OAuth tokens and the guard in front of every tenant endpoint (spec §2, §3).

A client's token refresh, and its parser per error shape, are only as good as the shapes the emulator
sends: these tests pin them byte for byte where the spec gives them verbatim.
"""

from __future__ import annotations

import asyncio

import aiohttp

from gateway.emulator.config import EmulatorConfig
from gateway.emulator.handle import Emulator, running_emulator
from tests.support.emulator_api import Api

INVALID = {
    "fault": {
        "faultstring": "Invalid Access Token",
        "detail": {"errorcode": "keymanagement.service.invalid_access_token"},
    }
}
EXPIRED = {
    "fault": {
        "faultstring": "Access Token expired",
        "detail": {"errorcode": "keymanagement.service.access_token_expired"},
    }
}


async def test_token_has_the_openapi_fields_all_strings(api: Api) -> None:
    reply = await api.issue_token()
    assert reply.status == 200
    body = reply.body
    assert set(body) == {
        "refresh_token_expires_in",
        "api_product_list",
        "organization_name",
        "token_type",
        "issued_at",
        "client_id",
        "access_token",
        "application_name",
        "scope",
        "expires_in",
        "refresh_count",
        "status",
    }
    assert body["api_product_list"] == ["vcc"]
    assert all(isinstance(v, str) for k, v in body.items() if k != "api_product_list")
    assert body["token_type"] == "BearerToken"
    assert body["expires_in"] == "1799"
    ok = await api.call("GET", "/web-hooks", token=body["access_token"])
    assert ok.status == 200


async def test_expired_token_gets_the_expired_fault_and_a_new_token_works_at_once(
    session: aiohttp.ClientSession,
) -> None:
    async with running_emulator(EmulatorConfig(mode="manual", token_ttl=0.3)) as emulator:
        api = Api(session, emulator)
        token = await api.token()
        assert (await api.call("GET", "/web-hooks", token=token)).status == 200
        await asyncio.sleep(0.4)
        expired = await api.call("GET", "/web-hooks", token=token)
        assert (expired.status, expired.body) == (401, EXPIRED)
        assert expired.content_type == "application/problem+json"
        fresh = (await api.issue_token()).body["access_token"]
        assert (await api.call("GET", "/web-hooks", token=fresh)).status == 200


async def test_bad_credentials_are_invalid_client(api: Api, emulator: Emulator) -> None:
    for key, secret in [(emulator.api_key, "wrong"), ("nobody", emulator.api_secret)]:
        reply = await api.issue_token(key, secret)
        assert (reply.status, reply.body) == (
            401,
            {"ErrorCode": "invalid_client", "Error": "ClientId is Invalid"},
        )
    missing = await api.request("POST", emulator.token_url, data={"grant_type": "client_credentials"})
    assert missing.status == 401
    assert missing.body["ErrorCode"] == "invalid_client"


async def test_wrong_grant_type_is_invalid_request(api: Api, emulator: Emulator) -> None:
    reply = await api.request(
        "POST",
        emulator.token_url,
        data={"grant_type": "password"},
        headers={"Authorization": "Basic ZXhhbXBsZUtleTpleGFtcGxlU2VjcmV0"},
    )
    assert (reply.status, reply.body) == (
        400,
        {"ErrorCode": "invalid_request", "Error": "Unsupported grant type : password"},
    )


async def test_missing_unknown_or_malformed_bearer_is_invalid_access_token(
    api: Api, emulator: Emulator
) -> None:
    url = emulator.api_url + "/conversations"
    for headers in [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}]:
        reply = await api.request("GET", url, headers=headers)
        assert (reply.status, reply.body) == (401, INVALID), headers
        assert reply.content_type == "application/problem+json"


async def test_unknown_region_is_404_region(api: Api, emulator: Emulator) -> None:
    token = await api.token()
    reply = await api.request(
        "GET",
        f"{emulator.base_url}/vcc/xx/chat/v2/tenant/{emulator.tenant_id}/web-hooks",
        headers={"Authorization": f"Bearer {token}"},
    )
    message = "Resource of type Region with id xx was not found."
    assert (reply.status, reply.body) == (404, {"message": message, "errors": [message]})


async def test_foreign_tenant_is_403(api: Api, emulator: Emulator) -> None:
    token = await api.token()
    reply = await api.request(
        "GET",
        f"{emulator.base_url}/vcc/{emulator.region}/chat/v2/tenant/OtherTenant/channels",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert (reply.status, reply.body) == (
        403,
        {
            "message": "The tenant does not belong to customer.",
            "errors": [f"Tenant OtherTenant does not belong to customer {emulator.customer_id}."],
        },
    )


async def test_jwk_needs_no_token_and_unknown_kid_is_the_rfc7807_404(api: Api, emulator: Emulator) -> None:
    jwk = await api.request("GET", f"{emulator.base_url}/vcc/eu/chat/v2/jwk/{emulator.kid}/public")
    assert jwk.status == 200
    assert list(jwk.body) == ["kty", "e", "kid", "n"]
    assert (jwk.body["kty"], jwk.body["kid"]) == ("RSA", emulator.kid)
    missing = await api.request("GET", f"{emulator.base_url}/vcc/us/chat/v2/jwk/nope/public")
    assert missing.status == 404
    assert missing.body == {
        "type": "ClientError",
        "title": "Resource not found.",
        "status": 404,
        "detail": "Resource may not exist or is not accessible.",
        "resourceType": "JWKPublic",
        "resourceId": "nope",
        "instance": "ResourceNotFound",
    }


async def test_unknown_conversation_is_404_conversation(api: Api) -> None:
    reply = await api.call("GET", "/conversations/nope")
    message = "Resource of type Conversation with id nope was not found."
    assert (reply.status, reply.body) == (404, {"message": message, "errors": [message]})
