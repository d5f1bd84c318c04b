"""Drives the simulator's import paths (issue 24) with the official Python Microsoft Graph SDK.

Same SDK, venv, CA and authority handling as check.py (msgraph-sdk and azure-identity, unmodified:
only the Graph base URL, the authority and the CA are the simulator's). Checks, each printed as
`ok NAME` or `FAIL NAME: reason`:

  a. v1.0 MIME create      base64 RFC 822 as text/plain posted to users/{id}/messages (the SDK's
                           own messages builder, sent through its request adapter): a Message,
                           isDraft true, in Drafts
  b. move                  messages.by_message_id(id).move.post(destinationId="inbox"), the SDK's
                           typed action: a Message with a new id in the Inbox; the old id is 404
  c. beta importMime       POST /beta/users/{id}/mailFolders/inbox/importMime through the same
                           authenticated request adapter (msgraph-beta-sdk is not installed: it is
                           a separate package): a Message, isDraft false; its $value (v1.0's
                           typed content.get()) is exactly the bytes sent

Exit status 1 if any check fails. Run it after check.py against the same simulator (it resets
the simulator first):

    python imports.py --sim https://127.0.0.1:8443 --ca-file /path/to/ca.pem
"""

import argparse
import asyncio
import base64
import sys
import uuid

from azure.identity.aio import ClientSecretCredential
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient
from msgraph.generated.models.message import Message
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.item.messages.item.move.move_post_request_body import MovePostRequestBody

from check import ADDRESS, SCOPES, Failed, Sim, expect, mime_message, report, trust_ca, why


async def post_mime(client, url_template, path_parameters, mime, url=None):
    """Posts base64 MIME as text/plain through the SDK's request adapter; the parsed Message."""
    info = RequestInformation(Method.POST, url_template, path_parameters)
    if url is not None:
        info.url = url
    info.headers.try_add("Accept", "application/json")
    info.set_stream_content(base64.b64encode(mime), "text/plain")
    return await client.request_adapter.send_async(info, Message, {"XXX": ODataError})


async def check_create(client, s):
    s["headers"], mime = mime_message(f"<graph-sdk-create-{uuid.uuid4().hex}@compat.check>")
    builder = client.users.by_user_id(s["user_id"]).messages
    message = await post_mime(client, builder.url_template, builder.path_parameters, mime)
    expect(message is not None and message.id, f"answer {message!r}")
    expect(message.is_draft is True, f"isDraft {message.is_draft!r}: Graph's MIME create makes a draft")
    drafts = await client.users.by_user_id(s["user_id"]).mail_folders.by_mail_folder_id("drafts").get()
    expect(message.parent_folder_id == drafts.id, f"parentFolderId {message.parent_folder_id!r}, Drafts is {drafts.id!r}")
    s["draft"] = message.id


async def check_move(client, s):
    messages = client.users.by_user_id(s["user_id"]).messages
    moved = await messages.by_message_id(s["draft"]).move.post(MovePostRequestBody(destination_id="inbox"))
    expect(moved is not None and moved.id, f"answer {moved!r}")
    expect(moved.id != s["draft"], "the moved message kept its id")
    inbox = await client.users.by_user_id(s["user_id"]).mail_folders.by_mail_folder_id("inbox").get()
    expect(moved.parent_folder_id == inbox.id, f"parentFolderId {moved.parent_folder_id!r}, Inbox is {inbox.id!r}")
    try:
        old = await messages.by_message_id(s["draft"]).get()
    except ODataError as e:
        expect(e.response_status_code == 404, f"the old id: {why(e)}")
        return f"{s['draft']} -> {moved.id}"
    raise Failed(f"the old id still answers: {old.id!r}")


async def check_import_mime(client, s, base):
    _, mime = mime_message(f"<graph-sdk-import-{uuid.uuid4().hex}@compat.check>")
    url = f"{base}/graph/beta/users/{s['user_id']}/mailFolders/inbox/importMime"
    message = await post_mime(client, "{+baseurl}/importMime", {}, mime, url=url)
    expect(message is not None and message.id, f"answer {message!r}")
    expect(message.is_draft is False, f"isDraft {message.is_draft!r}: importMime makes a final message")
    content = await client.users.by_user_id(s["user_id"]).messages.by_message_id(message.id).content.get()
    expect(content == mime, f"$value is not the bytes sent ({len(content or b'')} bytes, sent {len(mime)})")
    return f"{len(mime)} bytes back exactly"


async def run(args):
    sim = Sim(args.sim, args.ca_file)
    try:
        sim.call("/sim/reset", "POST")
        scenario = sim.call("/sim/scenario")
        mailboxes = sim.call("/sim/mailboxes")["mailboxes"]
    except (OSError, ValueError, KeyError) as e:
        print(f"FAIL setup: the simulator's control plane at {args.sim}/sim: {why(e)}")
        return 1
    creds, identity = scenario["credentials"], scenario.get("identity") or {}
    mailbox = next((m for m in mailboxes if m["address"].lower() == ADDRESS), None)
    if mailbox is None or not identity.get("authority"):
        print(f"FAIL setup: no mailbox {ADDRESS} or no identity.authority in /sim/scenario")
        return 1
    credential = ClientSecretCredential(
        creds["tenant_id"],
        creds["client_id"],
        creds["client_secret"],
        authority=identity["authority"],
        disable_instance_discovery=True,
    )
    base = args.sim.rstrip("/")
    async with credential:
        client = GraphServiceClient(credentials=credential, scopes=SCOPES)
        client.request_adapter.base_url = base + "/graph/v1.0"
        user = await client.users.by_user_id(mailbox["upn"]).get()
        state = {"user_id": user.id}
        checks = [
            ("a-mime-create-is-a-draft", lambda: check_create(client, state)),
            ("b-move-new-id-old-404", lambda: check_move(client, state)),
            ("c-beta-import-mime", lambda: check_import_mime(client, state, base)),
        ]
        return await report(checks)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim", required=True, help="the simulator's base URL, e.g. https://127.0.0.1:8443")
    p.add_argument("--ca-file", required=True, help="PEM of the CA that signed the simulator's certificate")
    args = p.parse_args()
    # As check.py: SSL_CERT_FILE before aiohttp is first imported (when the credential is made).
    if not trust_ca(args.ca_file):
        return 1
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
