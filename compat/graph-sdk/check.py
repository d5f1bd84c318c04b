"""Drives the simulator's Graph-shaped tenant with the official Python Microsoft Graph SDK.

The SDK (`msgraph-sdk`) and `azure-identity`'s async `ClientSecretCredential` are used as any
application would use them, unmodified but for three things: the Graph base URL (the
simulator's `/graph/v1.0`), the authority (the simulator's identity platform) and the CA that
signed the simulator's TLS certificate. Checks, each printed as `ok NAME` or `FAIL NAME: reason`:

  a. users.by_user_id(upn).get()                the user, by its userPrincipalName
  b. users.get($filter, $select)                 by proxyAddresses/any(...) alias, by mail, $select
  c. mail_folders.get($top=3) + PageIterator     every folder over several pages, no archive folder
  d. mail_folders.post(MailFolder)               created; the same again is 409 ErrorFolderExists
  e. mail_folders $filter, by_mail_folder_id     the new folder by name; `inbox` by well-known name
  f. MIME import                                 base64 RFC 822 as text/plain, parsed as a Message
  g. messages $filter internetMessageId, $value  found once, unknown id not found, MIME bytes back
  h. throttling                                  8 concurrent listings, 4 allowed in flight: the
                                                 SDK's RetryHandler retries the 429s, all succeed

Exit status 1 if any check fails. Run it against a simulator serving compat/graph-sdk/scenario.toml
with TLS (see README.md):

    python check.py --sim https://127.0.0.1:8443 --ca-file /path/to/ca.pem

It resets the simulator (POST /sim/reset) first, so it can run again against the same simulator.
"""

import argparse
import asyncio
import base64
import json
import os
import ssl
import sys
import urllib.request
import uuid

from azure.identity.aio import ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient
from msgraph.generated.models.mail_folder import MailFolder
from msgraph.generated.models.message import Message
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import MessagesRequestBuilder
from msgraph.generated.users.item.mail_folders.mail_folders_request_builder import MailFoldersRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core.tasks.page_iterator import PageIterator

ADDRESS = "compat.user@contoso.cn"
ALIAS = "c.user@contoso.cn"
FOLDER = "WeChat Archiver"
SCOPES = ["https://graph.microsoft.com/.default"]
CONCURRENT = 8


class Failed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failed(message)


def why(e):
    if isinstance(e, ODataError):
        err = e.error
        return f"ODataError {e.response_status_code} {err.code if err else None}: {err.message if err else e}"
    return f"{type(e).__name__}: {e}"


def query(builder, **params):
    """A request configuration with the builder's own query-parameter class."""
    return RequestConfiguration(query_parameters=builder(**params))


def users_q(**p):
    return query(UsersRequestBuilder.UsersRequestBuilderGetQueryParameters, **p)


def folders_q(**p):
    return query(MailFoldersRequestBuilder.MailFoldersRequestBuilderGetQueryParameters, **p)


def messages_q(**p):
    return query(MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters, **p)


class Sim:
    """The simulator's control plane (`/sim`, plain JSON, no auth)."""

    def __init__(self, base, ca_file):
        self.base = base.rstrip("/")
        self.ctx = ssl.create_default_context(cafile=ca_file)

    def call(self, path, method="GET"):
        req = urllib.request.Request(self.base + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            return json.load(r)


def mime_message(message_id):
    headers = (
        "From: Graph SDK Check <sdk.check@example.com>\r\n"
        f"To: Compat User <{ADDRESS}>\r\n"
        "Subject: graph-sdk compatibility check\r\n"
        "Date: Fri, 20 Nov 2026 08:00:00 +0000\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
    ).encode()
    return headers, headers + "\r\n这是一条兼容性检查消息。\r\n".encode()


async def check_user(client, s):
    user = await client.users.by_user_id(s["upn"]).get()
    expect(user is not None and user.id, f"no user (got {user!r})")
    expect((user.user_principal_name or "").lower() == s["upn"].lower(), f"userPrincipalName {user.user_principal_name!r}")
    expect((user.mail or "").lower() == ADDRESS, f"mail {user.mail!r}")
    s["user_id"] = user.id


async def check_user_filters(client, s):
    for f in (f"proxyAddresses/any(x:x eq 'smtp:{ALIAS}')", f"mail eq '{ADDRESS}'"):
        page = await client.users.get(users_q(filter=f))
        ids = [u.id for u in page.value or []]
        expect(ids == [s["user_id"]], f"$filter={f}: {ids}, expected [{s['user_id']}]")
    page = await client.users.get(users_q(filter=f"mail eq '{ADDRESS}'", select=["id", "accountEnabled", "proxyAddresses"]))
    expect(len(page.value or []) == 1, f"$select: {len(page.value or [])} users")
    u = page.value[0]
    expect(u.id == s["user_id"] and u.account_enabled is True, f"$select: id {u.id!r}, accountEnabled {u.account_enabled!r}")
    expect(f"smtp:{ALIAS}" in [p.lower() for p in u.proxy_addresses or []], f"proxyAddresses {u.proxy_addresses!r}")
    expect(u.mail is None and u.display_name is None, f"$select returned unselected mail={u.mail!r} displayName={u.display_name!r}")


async def check_folder_pages(client, s):
    first = await client.users.by_user_id(s["user_id"]).mail_folders.get(folders_q(top=3))
    expect(len(first.value or []) <= 3, f"first page has {len(first.value or [])} folders for $top=3")
    expect(first.odata_next_link, "first page of $top=3 has no @odata.nextLink")
    names = []

    def collect(folder):
        names.append(folder.display_name)
        return True  # PageIterator stops at the first falsy answer

    await PageIterator(first, client.request_adapter).iterate(collect)
    expect(len(names) == len(set(names)), f"a folder listed twice: {sorted(names)}")
    expect(FOLDER not in names, f"{FOLDER!r} exists before it was created")
    expect(set(names) == s["folders"], f"listed {sorted(names)}, the simulator has {sorted(s['folders'])}")
    return f"{len(names)} folders"


async def check_create_folder(client, s):
    folders = client.users.by_user_id(s["user_id"]).mail_folders
    created = await folders.post(MailFolder(display_name=FOLDER))
    expect(created is not None and created.id and created.display_name == FOLDER, f"created {created!r}")
    s["folder_id"] = created.id
    try:
        again = await folders.post(MailFolder(display_name=FOLDER))
    except ODataError as e:
        code = e.error.code if e.error else None
        expect(e.response_status_code == 409 and code == "ErrorFolderExists", f"second create: {why(e)}")
        return
    raise Failed(f"second create succeeded: {again.id!r}")


async def check_find_folder(client, s):
    folders = client.users.by_user_id(s["user_id"]).mail_folders
    page = await folders.get(folders_q(filter=f"displayName eq '{FOLDER}'"))
    found = [(f.id, f.display_name) for f in page.value or []]
    expect(found == [(s["folder_id"], FOLDER)], f"$filter found {found}")
    inbox = await folders.by_mail_folder_id("inbox").get()
    expect(inbox is not None and inbox.display_name == "Inbox" and inbox.id, f"inbox: {inbox!r}")


async def check_import(client, s):
    s["message_id"] = f"<graph-sdk-{uuid.uuid4().hex}@compat.check>"
    s["headers"], mime = mime_message(s["message_id"])
    # Graph imports MIME as base64 with Content-Type text/plain; the SDK has no typed method for
    # it, so the request is the messages builder's own (its URL template and path parameters),
    # sent through the SDK's request adapter (auth, retry, error mapping, Message parsing).
    builder = client.users.by_user_id(s["user_id"]).mail_folders.by_mail_folder_id(s["folder_id"]).messages
    info = RequestInformation(Method.POST, builder.url_template, builder.path_parameters)
    info.headers.try_add("Accept", "application/json")
    info.set_stream_content(base64.b64encode(mime), "text/plain")
    message = await client.request_adapter.send_async(info, Message, {"XXX": ODataError})
    expect(isinstance(message, Message) and message.id, f"answer {message!r}")
    expect(message.internet_message_id == s["message_id"], f"internetMessageId {message.internet_message_id!r}")
    expect(message.parent_folder_id == s["folder_id"], f"parentFolderId {message.parent_folder_id!r}, expected {s['folder_id']!r}")
    s["message"] = message.id


async def check_find_message(client, s):
    messages = client.users.by_user_id(s["user_id"]).mail_folders.by_mail_folder_id(s["folder_id"]).messages
    page = await messages.get(messages_q(filter=f"internetMessageId eq '{s['message_id']}'"))
    ids = [m.id for m in page.value or []]
    expect(ids == [s["message"]], f"$filter on the imported Message-ID found {ids}")
    page = await messages.get(messages_q(filter="internetMessageId eq '<never-imported@compat.check>'"))
    expect(not page.value, f"$filter on an unknown Message-ID found {[m.id for m in page.value]}")
    content = await messages.by_message_id(s["message"]).content.get()
    expect(isinstance(content, bytes), f"$value answered {type(content).__name__}")
    sent, back = s["headers"].replace(b"\r\n", b"\n"), content.replace(b"\r\n", b"\n")
    expect(back.startswith(sent), f"$value starts {content[:80]!r}")


async def check_throttling(client, s):
    folders = client.users.by_user_id(s["user_id"]).mail_folders
    # RetryHandler (kiota_http, in the SDK's default middleware) retries 429 up to 3 times,
    # waiting the Retry-After seconds; nothing here retries by itself.
    answers = await asyncio.gather(*(folders.get() for _ in range(CONCURRENT)), return_exceptions=True)
    failed = [why(a) for a in answers if isinstance(a, BaseException)]
    expect(not failed, f"{len(failed)} of {CONCURRENT} failed: {failed[0] if failed else ''}")
    expect(all(a.value for a in answers), "a listing came back empty")
    entries = s["sim"].call("/sim/journal")["entries"]
    throttled = [e for e in entries if e.get("status") == 429 and e.get("code") == "ApplicationThrottled"]
    expect(throttled, f"no 429 ApplicationThrottled in the journal ({len(entries)} entries)")
    return f"{CONCURRENT} listings, {len(throttled)} refused and retried"


CHECKS = [
    ("a-user-by-upn", check_user),
    ("b-user-filters", check_user_filters),
    ("c-folder-pages", check_folder_pages),
    ("d-create-folder", check_create_folder),
    ("e-find-folder", check_find_folder),
    ("f-mime-import", check_import),
    ("g-find-message", check_find_message),
    ("h-throttling", check_throttling),
]


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
    state = {"sim": sim, "upn": mailbox["upn"], "folders": {f["name"] for f in mailbox["folders"]}}

    # azure-identity's async credential posts the client-credentials grant itself (no MSAL
    # network calls, so no instance or tenant discovery) to {authority}/{tenant}/oauth2/v2.0/token;
    # disable_instance_discovery only matters to the MSAL-based (sync) credentials.
    credential = ClientSecretCredential(
        creds["tenant_id"],
        creds["client_id"],
        creds["client_secret"],
        authority=identity["authority"],
        disable_instance_discovery=True,
    )
    async with credential:
        # The kiota authentication provider that GraphServiceClient builds has an empty allowed-hosts
        # list, which means every host gets the token: 127.0.0.1 needs no allowed_hosts entry. The base
        # URL is set where the SDK documents it, on the request adapter (used at every request).
        client = GraphServiceClient(credentials=credential, scopes=SCOPES)
        client.request_adapter.base_url = args.sim.rstrip("/") + "/graph/v1.0"
        return await report([(name, lambda check=check: check(client, state)) for name, check in CHECKS])


async def report(checks):
    """Runs each (name, thunk) in order, printing `ok name` or `FAIL name: why`; the exit code."""
    failures = 0
    for name, check in checks:
        try:
            extra = await check()
            print(f"ok {name}" + (f" ({extra})" if extra else ""))
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the next check runs
            failures += 1
            print(f"FAIL {name}: {why(e) if not isinstance(e, Failed) else e}")
        sys.stdout.flush()
    print(f"{len(checks) - failures} passed, {failures} failed")
    return 1 if failures else 0


def trust_ca(ca_file):
    """Makes both HTTP stacks of the SDK trust `ca_file`; False if it is too late (see main)."""
    if "aiohttp" in sys.modules:
        print("FAIL setup: aiohttp was imported before SSL_CERT_FILE was set; it would not trust the CA")
        return False
    os.environ["SSL_CERT_FILE"] = ca_file
    os.environ["REQUESTS_CA_BUNDLE"] = ca_file
    os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sim", required=True, help="the simulator's base URL, e.g. https://127.0.0.1:8443")
    p.add_argument("--ca-file", required=True, help="PEM of the CA that signed the simulator's certificate")
    args = p.parse_args()
    # Both HTTP stacks of the SDK honour SSL_CERT_FILE, read when their default SSL context is made,
    # so it is set before either exists: httpx 0.28+ (Graph requests, the kiota client) reads it in
    # every new AsyncClient (trust_env); aiohttp (azure-identity's async transport) makes its default
    # context when first imported, which azure-core does when the credential is constructed, in run().
    # REQUESTS_CA_BUNDLE is for `requests` (the sync MSAL/azure-identity stack), not used here.
    if not trust_ca(args.ca_file):
        return 1
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
