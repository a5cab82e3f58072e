"""The emulator's 8x8 Chat Gateway v1 (spec ``chat-gateway-v1.md``), beside its Chat API v2, sharing queues,
agents, the conversation store, signing, ordered delivery with retries and fault injection.

Routes: ``{base}/chat-gateway/v1/…`` (``x-api-key`` auth, optional ``X-8x8-Tenant``), unauthenticated JWK at
``/chat-gateway/v1/jwk/{kid}/public`` (the v2 JWK path serves the same key) and pre-signed file URLs at
``/files/{token}/{name}``. Webhook version ``"Chat Gateway v1.0"``; channels of type ``ChatAPI``.

Python handle (``gateway.emulator.handle.Emulator``, e.g. the ``emulator`` pytest fixture or
``running_emulator()``), for tests acting as the agent::

    emulator.chat_gateway_url           # "http://127.0.0.1:PORT/chat-gateway/v1"
    emulator.chat_gateway_api_key       # the x-api-key (differs from emulator.api_key, the Chat API's key)
    emulator.tenant_id                  # what X-8x8-Tenant must say if sent
    await emulator.wait_for_state(cid, "queued")     # created | queued | agent | closed (both APIs)
    await emulator.agent_join(cid, "alice")          # MEMBERS_CHANGED joined + CONVERSATION_UPDATE
    await emulator.agent_send(cid, "text")           # MESSAGE isEcho false, sender {id, type: agent}
    await emulator.agent_typing(cid, active=True)    # ACTIVITY typing users [agent] ([] when active=False)
    await emulator.agent_read(cid, read_at_ms=None)  # ACTIVITY read-receipts (default: now); returns read_at
    await emulator.agent_send_attachment(cid, "a.pdf", data, content_type="application/pdf", text="")
                                                     # MESSAGE with attachments [{id,type,preSignedUrl,fileName}]
    await emulator.agent_transfer(cid, "102")        # TRANSFER, MEMBERS_CHANGED left, CONVERSATION_UPDATE, QUEUED
    await emulator.agent_leave(cid)                  # MEMBERS_CHANGED left + CONVERSATION_UPDATE idle
    emulator.conversation(cid)  # view: state, queue, agent, messages (with attachments), "typing": ["user"],
                                # "readAt": {"user": ms}, "user" (as sent), "api": "chat_gateway"
    emulator.events_of(cid)     # every event queued for the conversation (type, body, status)
    await emulator.wait_for_event(cid, "MESSAGE")
    await emulator.wait_for_message(cid, "text", author_type="user")
    # faults (same as v2): fail_next("cgw_send_message", 2, status=503, hang=False), pause_delivery(),
    # resume_delivery(), duplicate_next_event(), corrupt_next_signature(), reorder_next(),
    # queued_before_response(), and revoke_chat_gateway_key(True/False) (every call 401 Access Denied)

Operation names for ``fail_next`` are ``cgw_`` + the operation: ``cgw_create_conversation``,
``cgw_get_conversation``, ``cgw_patch_conversation``, ``cgw_user_leave``, ``cgw_send_message``,
``cgw_list_messages``, ``cgw_upload_attachment``, ``cgw_attachment_content``, ``cgw_typing``,
``cgw_read_receipt``, ``cgw_create_webhook``, ``cgw_create_channel``, … (``app.OPERATIONS`` lists them all).
"""
