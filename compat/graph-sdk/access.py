"""Drives what Graph checks beyond the token with the official Python Microsoft Graph SDK.

As check.py: msgraph-sdk and azure-identity's async ClientSecretCredential, unmodified but for
the Graph base URL, the authority and the CA. Run twice: `--tenant access` against a simulator
serving access.toml (more than 200 users, an app granted User.Read.All and Mail.ReadBasic.All
only, scoped to one mailbox: checks a-d), `--tenant default` against one serving scenario.toml
(the default grant and Graph's 4 MB request cap: check e). Each check prints `ok NAME` or
`FAIL NAME: reason`:

  a. users.get($top=1, $select=id)        one user, only its id: a connector's token check
  b. users.get() + PageIterator            every user, over pages of Graph's default 100
  c. a missing permission                  a MIME import without Mail.ReadWrite: ODataError 403
                                           ErrorAccessDenied "Access is denied. Check ..."
  d. a mailbox out of the app's scope      its folders: ODataError 403 ErrorAccessDenied "Access to
                                           OData is disabled."; the user itself is still found
  e. over 4 MB                             a MIME import of more than 4 MB (default tenant): 413

Exit status 1 if any check fails:

    python access.py --tenant access --sim https://127.0.0.1:8443 --ca-file /path/to/ca.pem

It resets the simulator (POST /sim/reset) first.
"""

import argparse
import asyncio
import base64
import sys

from check import ADDRESS, SCOPES, Failed, Sim, expect, report, trust_ca, users_q, why

OUTSIDE = "outside.user@contoso.onmicrosoft.com"
PAGE = 100


async def connect(sim):
    """A GraphServiceClient of the app of the simulator's scenario, and its credential."""
    from azure.identity.aio import ClientSecretCredential
    from msgraph import GraphServiceClient

    scenario = sim.call("/sim/scenario")
    creds, identity = scenario["credentials"], scenario.get("identity") or {}
    credential = ClientSecretCredential(
        creds["tenant_id"], creds["client_id"], creds["client_secret"], authority=identity["authority"], disable_instance_discovery=True
    )
    client = GraphServiceClient(credentials=credential, scopes=SCOPES)
    client.request_adapter.base_url = sim.base + "/graph/v1.0"
    return client, credential


async def user_id(client, upn):
    user = await client.users.by_user_id(upn).get()
    expect(user is not None and user.id, f"no user {upn}")
    return user.id


async def import_mime(client, user, folder, mime):
    """A MIME import through the SDK's request adapter (as check.py's), answering the Message."""
    from kiota_abstractions.method import Method
    from kiota_abstractions.request_information import RequestInformation
    from msgraph.generated.models.message import Message
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    builder = client.users.by_user_id(user).mail_folders.by_mail_folder_id(folder).messages
    info = RequestInformation(Method.POST, builder.url_template, builder.path_parameters)
    info.headers.try_add("Accept", "application/json")
    info.set_stream_content(base64.b64encode(mime), "text/plain")
    return await client.request_adapter.send_async(info, Message, {"XXX": ODataError})


def mime(size):
    head = f"From: SDK <sdk@example.com>\r\nTo: <{ADDRESS}>\r\nSubject: access\r\nMessage-ID: <access@compat.check>\r\n"
    head += "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
    return head.encode().ljust(size, b"x")


async def refused(call, status, code, message=None):
    """Awaits `call`, which must raise Graph's error with this status, code (and message)."""
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    try:
        answer = await call
    except ODataError as e:
        err = e.error
        got = (e.response_status_code, err.code if err else None, err.message if err else None)
        expect(got[:2] == (status, code) and (message is None or got[2] == message), f"answered {why(e)}")
        return f"{status} {code}"
    raise Failed(f"succeeded: {answer!r}")


async def check_top_select(client, s):
    page = await client.users.get(users_q(top=1, select=["id"]))
    users = page.value or []
    expect(len(users) == 1 and users[0].id, f"{len(users)} users for $top=1")
    u = users[0]
    expect(u.display_name is None and u.mail is None, f"$select=id answered displayName={u.display_name!r} mail={u.mail!r}")
    expect(page.odata_next_link, "no @odata.nextLink after a page of 1")


async def check_paging(client, s):
    from msgraph_core.tasks.page_iterator import PageIterator

    first = await client.users.get()
    expect(len(first.value or []) == PAGE and first.odata_next_link, f"first page: {len(first.value or [])} users")
    ids = []

    def collect(user):
        ids.append(user.id)
        return True

    await PageIterator(first, client.request_adapter).iterate(collect)
    expect(len(ids) == len(set(ids)), "a user listed twice")
    expect(len(ids) == s["users"], f"{len(ids)} users listed, the directory has {s['users']}")
    expect(len(ids) > 2 * PAGE, f"only {len(ids)} users: fewer than three pages")
    return f"{len(ids)} users in pages of {PAGE}"


async def check_missing_permission(client, s):
    return await refused(
        import_mime(client, await user_id(client, s["upn"]), "inbox", mime(500)),
        403,
        "ErrorAccessDenied",
        "Access is denied. Check credentials and try again.",
    )


async def check_out_of_scope(client, s):
    outside = await user_id(client, OUTSIDE)  # the directory is not scoped
    answer = await refused(client.users.by_user_id(outside).mail_folders.get(), 403, "ErrorAccessDenied", "Access to OData is disabled.")
    folders = await client.users.by_user_id(s["upn"]).mail_folders.get()
    expect(folders.value, "the mailbox in scope has no folders")
    return answer


async def check_over_4_mb(client, s):
    user = await user_id(client, s["upn"])
    # 3 MiB of MIME is exactly 4 MiB of base64: taken; a little more is over Graph's cap.
    taken = await import_mime(client, user, "inbox", mime(3 * 1024 * 1024))
    expect(taken is not None and taken.id, f"4 MiB answered {taken!r}")
    return await refused(import_mime(client, user, "inbox", mime(3 * 1024 * 1024 + 3)), 413, "BadRequest")


CHECKS = {
    "access": [
        ("a-users-top-select", check_top_select),
        ("b-users-page-iterator", check_paging),
        ("c-missing-permission", check_missing_permission),
        ("d-out-of-scope", check_out_of_scope),
    ],
    "default": [("e-over-4-mb", check_over_4_mb)],
}


async def run(args):
    sim = Sim(args.sim, args.ca_file)
    try:
        sim.call("/sim/reset", "POST")
        mailboxes = sim.call("/sim/mailboxes")["mailboxes"]
    except (OSError, ValueError, KeyError) as e:
        print(f"FAIL setup: the simulator's control plane at {args.sim}/sim: {why(e)}")
        return 1
    upn = next((m["upn"] for m in mailboxes if m["address"].lower() == ADDRESS), None)
    if not upn:
        print(f"FAIL setup: no mailbox {ADDRESS}")
        return 1
    # Every user of access.toml has a mailbox: the directory has as many users as mailboxes.
    state = {"upn": upn, "users": len(mailboxes)}
    client, credential = await connect(sim)
    checks = CHECKS[args.tenant]
    async with credential:
        return await report([(name, lambda check=check: check(client, state)) for name, check in checks])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tenant", required=True, choices=sorted(CHECKS), help="access: access.toml; default: scenario.toml")
    p.add_argument("--sim", required=True, help="the simulator's base URL, e.g. https://127.0.0.1:8443")
    p.add_argument("--ca-file", required=True, help="PEM of the CA that signed the simulator's certificate")
    args = p.parse_args()
    # As check.py: the CA reaches both HTTP stacks of the SDK through SSL_CERT_FILE, set before
    # aiohttp is imported (azure-identity's credential, made in connect()).
    if not trust_ca(args.ca_file):
        return 1
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
