// Drives the simulator's Graph-shaped tenant with the official JavaScript Microsoft Graph SDK
// (@microsoft/microsoft-graph-client 3.0.7) and its DEFAULT middleware chain
// (Client.initWithMiddleware({ authProvider }): auth, retry, redirect, telemetry, fetch), on
// Node's global fetch (no isomorphic-fetch), unmodified but for the Graph base URL, the
// authority and the CA, which Node trusts through NODE_EXTRA_CA_CERTS alone.
//
// Checks, each printed as `ok NAME` or `FAIL NAME: reason` (exit status 1 if any fails):
//
//   a. api('/users/{upn}')                          the user, by its userPrincipalName
//   b. api('/users').filter(...)                    by proxyAddresses/any(...) alias, by mail, $select
//   c. mailFolders .top(3) + PageIterator           every folder over several pages
//   d. mailFolders .post({displayName})             created; the same again is GraphError 409 ErrorFolderExists
//   e. mailFolders .filter(displayName eq), inbox   the new folder by name; `inbox` by well-known name
//   f. MIME import                                  base64 RFC 822 posted as text/plain, a message back
//   g. messages .filter(internetMessageId eq), $value   found once, unknown id not found, MIME bytes back
//   h. throttling                                   8 concurrent listings, 4 allowed in flight: the
//                                                   SDK's RetryHandler retries the 429s, all succeed
//
//   NODE_EXTRA_CA_CERTS=/path/to/ca.pem node check.mjs --sim https://127.0.0.1:8443 [--auth identity|fetch]
//
// --auth identity (the default): @azure/identity's ClientSecretCredential (authorityHost = the
// simulator, disableInstanceDiscovery) behind the SDK's TokenCredentialAuthenticationProvider.
// --auth fetch: a small AuthenticationProvider of our own that posts the client-credentials grant
// with fetch and caches the token until shortly before it expires.
//
// It resets the simulator (POST /sim/reset) first, so it can run again against the same simulator.

import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";

import { Client, GraphError, PageIterator, ResponseType } from "@microsoft/microsoft-graph-client";
// The package has no "exports" map, so ESM needs the file itself (a directory import fails).
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import { ClientSecretCredential } from "@azure/identity";

const ADDRESS = "compat.user@contoso.cn";
const ALIAS = "c.user@contoso.cn";
const FOLDER = "WeChat Archiver";
const SCOPES = ["https://graph.microsoft.com/.default"];
const CONCURRENT = 8;

class Failed extends Error {}

function expect(condition, message) {
  if (!condition) throw new Failed(message);
}

function why(e) {
  if (e instanceof GraphError) return `GraphError ${e.statusCode} ${e.code}: ${e.message} (body ${String(e.body).slice(0, 200)})`;
  if (e instanceof Failed) return e.message;
  return `${e?.name ?? typeof e}: ${e?.message ?? e}${e?.cause ? ` (cause: ${e.cause.code ?? ""} ${e.cause.message ?? e.cause})` : ""}`;
}

/** The simulator's control plane (`/sim`, plain JSON, no auth), over the same global fetch. */
class Sim {
  constructor(base) {
    this.base = base.replace(/\/+$/, "");
  }
  async call(path, method = "GET") {
    const r = await fetch(this.base + path, { method, body: method === "POST" ? "" : undefined });
    if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status}`);
    return r.json();
  }
}

/** An AuthenticationProvider (getAccessToken) that asks the token endpoint itself, with fetch. */
class ClientCredentialsProvider {
  constructor(tokenEndpoint, clientId, clientSecret, scopes) {
    Object.assign(this, { tokenEndpoint, clientId, clientSecret, scopes });
    this.token = null;
    this.expiresAt = 0;
    this.pending = null;
  }
  async getAccessToken() {
    if (this.token && Date.now() < this.expiresAt - 60_000) return this.token;
    // Concurrent requests share one token request.
    this.pending ??= this.fetchToken().finally(() => (this.pending = null));
    return this.pending;
  }
  async fetchToken() {
    const body = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: this.clientId,
      client_secret: this.clientSecret,
      scope: this.scopes.join(" "),
    });
    const r = await fetch(this.tokenEndpoint, { method: "POST", body });
    const text = await r.text();
    if (!r.ok) throw new Error(`token endpoint answered ${r.status}: ${text.slice(0, 300)}`);
    const t = JSON.parse(text);
    if (typeof t.access_token !== "string" || String(t.token_type).toLowerCase() !== "bearer") {
      throw new Error(`token endpoint answered ${text.slice(0, 300)}`);
    }
    this.token = t.access_token;
    this.expiresAt = Date.now() + Number(t.expires_in) * 1000;
    return this.token;
  }
}

function mimeMessage(messageId) {
  const headers =
    "From: Graph SDK Check <sdk.check@example.com>\r\n" +
    `To: Compat User <${ADDRESS}>\r\n` +
    "Subject: graph-js compatibility check\r\n" +
    "Date: Fri, 20 Nov 2026 08:00:00 +0000\r\n" +
    `Message-ID: ${messageId}\r\n` +
    "MIME-Version: 1.0\r\n" +
    "Content-Type: text/plain; charset=utf-8\r\n";
  return { headers, mime: Buffer.from(headers + "\r\n这是一条兼容性检查消息。\r\n", "utf8") };
}

async function checkUser(client, s) {
  const user = await client.api(`/users/${s.upn}`).get();
  expect(user && user.id, `no user (got ${JSON.stringify(user)})`);
  expect((user.userPrincipalName ?? "").toLowerCase() === s.upn.toLowerCase(), `userPrincipalName ${user.userPrincipalName}`);
  expect((user.mail ?? "").toLowerCase() === ADDRESS, `mail ${user.mail}`);
  s.userId = user.id;
}

async function checkUserFilters(client, s) {
  for (const f of [`proxyAddresses/any(x:x eq 'smtp:${ALIAS}')`, `mail eq '${ADDRESS}'`]) {
    const page = await client.api("/users").filter(f).get();
    const ids = (page.value ?? []).map((u) => u.id);
    expect(ids.length === 1 && ids[0] === s.userId, `$filter=${f}: ${JSON.stringify(ids)}, expected [${s.userId}]`);
  }
  const page = await client.api("/users").filter(`mail eq '${ADDRESS}'`).select(["id", "accountEnabled", "proxyAddresses"]).get();
  expect((page.value ?? []).length === 1, `$select: ${(page.value ?? []).length} users`);
  const u = page.value[0];
  expect(u.id === s.userId && u.accountEnabled === true, `$select: id ${u.id}, accountEnabled ${u.accountEnabled}`);
  expect((u.proxyAddresses ?? []).map((p) => p.toLowerCase()).includes(`smtp:${ALIAS}`), `proxyAddresses ${JSON.stringify(u.proxyAddresses)}`);
  expect(u.mail === undefined && u.displayName === undefined, `$select returned unselected mail=${u.mail} displayName=${u.displayName}`);
}

async function checkFolderPages(client, s) {
  const first = await client.api(`/users/${s.userId}/mailFolders`).top(3).get();
  expect((first.value ?? []).length <= 3, `first page has ${(first.value ?? []).length} folders for $top=3`);
  expect(first["@odata.nextLink"], "first page of $top=3 has no @odata.nextLink");
  const names = [];
  let pages = 1;
  const iterator = new PageIterator(client, first, (folder) => {
    names.push(folder.displayName);
    return true; // PageIterator stops at the first falsy answer
  });
  // Count the pages it fetches: every next page is one client.api(nextLink).get().
  const api = client.api.bind(client);
  client.api = (path) => {
    pages += 1;
    return api(path);
  };
  try {
    await iterator.iterate();
  } finally {
    client.api = api;
  }
  expect(iterator.isComplete(), "PageIterator did not complete");
  expect(new Set(names).size === names.length, `a folder listed twice: ${JSON.stringify(names.sort())}`);
  expect(!names.includes(FOLDER), `'${FOLDER}' exists before it was created`);
  const want = [...s.folders].sort();
  expect(JSON.stringify([...names].sort()) === JSON.stringify(want), `listed ${JSON.stringify(names.sort())}, the simulator has ${JSON.stringify(want)}`);
  return `${names.length} folders in ${pages} pages`;
}

async function checkCreateFolder(client, s) {
  const folders = client.api(`/users/${s.userId}/mailFolders`);
  const created = await folders.post({ displayName: FOLDER });
  expect(created && created.id && created.displayName === FOLDER, `created ${JSON.stringify(created)}`);
  s.folderId = created.id;
  let again;
  try {
    again = await client.api(`/users/${s.userId}/mailFolders`).post({ displayName: FOLDER });
  } catch (e) {
    expect(e instanceof GraphError, `second create threw ${why(e)}, not a GraphError`);
    expect(e.statusCode === 409 && e.code === "ErrorFolderExists", `second create: ${why(e)}`);
    return `409 ${e.code}, requestId ${e.requestId ?? "none"}`;
  }
  throw new Failed(`second create succeeded: ${again?.id}`);
}

async function checkFindFolder(client, s) {
  const page = await client.api(`/users/${s.userId}/mailFolders`).filter(`displayName eq '${FOLDER}'`).get();
  const found = (page.value ?? []).map((f) => [f.id, f.displayName]);
  expect(JSON.stringify(found) === JSON.stringify([[s.folderId, FOLDER]]), `$filter found ${JSON.stringify(found)}`);
  const inbox = await client.api(`/users/${s.userId}/mailFolders/inbox`).get();
  expect(inbox && inbox.displayName === "Inbox" && inbox.id, `inbox: ${JSON.stringify(inbox)}`);
}

async function checkImport(client, s) {
  s.messageId = `<graph-js-${randomUUID().replaceAll("-", "")}@compat.check>`;
  const { headers, mime } = mimeMessage(s.messageId);
  s.headers = headers;
  // Graph imports MIME as base64 with Content-Type text/plain (a string body is sent as it is).
  const message = await client
    .api(`/users/${s.userId}/mailFolders/${s.folderId}/messages`)
    .header("Content-Type", "text/plain")
    .post(mime.toString("base64"));
  expect(message && typeof message === "object" && message.id, `answer ${JSON.stringify(message)?.slice(0, 200)} (${typeof message})`);
  expect(message.internetMessageId === s.messageId, `internetMessageId ${message.internetMessageId}`);
  expect(message.parentFolderId === s.folderId, `parentFolderId ${message.parentFolderId}, expected ${s.folderId}`);
  s.message = message.id;
}

async function checkFindMessage(client, s) {
  const messages = () => client.api(`/users/${s.userId}/mailFolders/${s.folderId}/messages`);
  let page = await messages().filter(`internetMessageId eq '${s.messageId}'`).get();
  const ids = (page.value ?? []).map((m) => m.id);
  expect(ids.length === 1 && ids[0] === s.message, `$filter on the imported Message-ID found ${JSON.stringify(ids)}`);
  page = await messages().filter("internetMessageId eq '<never-imported@compat.check>'").get();
  expect(!(page.value ?? []).length, `$filter on an unknown Message-ID found ${JSON.stringify(page.value.map((m) => m.id))}`);
  const path = `/users/${s.userId}/mailFolders/${s.folderId}/messages/${s.message}/$value`;
  // With no responseType the SDK picks by Content-Type (text/plain → string); RAW shows the header.
  const raw = await client.api(path).responseType(ResponseType.RAW).get();
  const contentType = raw.headers.get("content-type");
  const bytes = Buffer.from(await client.api(path).responseType(ResponseType.ARRAYBUFFER).get());
  const norm = (t) => t.replaceAll("\r\n", "\n");
  expect(norm(bytes.toString("utf8")).startsWith(norm(s.headers)), `$value starts ${JSON.stringify(bytes.toString("utf8").slice(0, 80))}`);
  const plain = await client.api(path).get();
  expect(typeof plain === "string" && norm(plain).startsWith(norm(s.headers)), `$value with no responseType gave ${typeof plain} (Content-Type ${contentType})`);
  return `$value Content-Type ${contentType}`;
}

async function checkThrottling(client, s) {
  // The SDK's RetryHandler (default chain; 3 retries, honouring Retry-After) retries the 429s;
  // nothing here retries by itself.
  const started = Date.now();
  const answers = await Promise.allSettled(Array.from({ length: CONCURRENT }, () => client.api(`/users/${s.userId}/mailFolders`).get()));
  const failed = answers.filter((a) => a.status === "rejected").map((a) => why(a.reason));
  expect(!failed.length, `${failed.length} of ${CONCURRENT} failed: ${failed[0] ?? ""}`);
  expect(answers.every((a) => (a.value.value ?? []).length), "a listing came back empty");
  const { entries } = await s.sim.call("/sim/journal");
  const throttled = entries.filter((e) => e.status === 429 && e.code === "ApplicationThrottled");
  expect(throttled.length, `no 429 ApplicationThrottled in the journal (${entries.length} entries)`);
  return `${CONCURRENT} listings, ${throttled.length} refused and retried, ${((Date.now() - started) / 1000).toFixed(1)} s`;
}

const CHECKS = [
  ["a-user-by-upn", checkUser],
  ["b-user-filters", checkUserFilters],
  ["c-folder-pages", checkFolderPages],
  ["d-create-folder", checkCreateFolder],
  ["e-find-folder", checkFindFolder],
  ["f-mime-import", checkImport],
  ["g-find-message", checkFindMessage],
  ["h-throttling", checkThrottling],
];

async function main() {
  const { values } = parseArgs({ options: { sim: { type: "string" }, auth: { type: "string", default: "identity" } } });
  if (!values.sim || !["identity", "fetch"].includes(values.auth)) {
    console.error("usage: NODE_EXTRA_CA_CERTS=ca.pem node check.mjs --sim https://127.0.0.1:PORT [--auth identity|fetch]");
    return 2;
  }
  if (!process.env.NODE_EXTRA_CA_CERTS) console.log("note: NODE_EXTRA_CA_CERTS is not set; the simulator's CA will not be trusted");
  const sim = new Sim(values.sim);
  let scenario, mailboxes;
  try {
    await sim.call("/sim/reset", "POST");
    scenario = await sim.call("/sim/scenario");
    mailboxes = (await sim.call("/sim/mailboxes")).mailboxes;
  } catch (e) {
    console.log(`FAIL setup: the simulator's control plane at ${values.sim}/sim: ${why(e)}`);
    return 1;
  }
  const creds = scenario.credentials;
  const identity = scenario.identity ?? {};
  const mailbox = mailboxes.find((m) => m.address.toLowerCase() === ADDRESS);
  if (!mailbox || !identity.authority) {
    console.log(`FAIL setup: no mailbox ${ADDRESS} or no identity.authority in /sim/scenario`);
    return 1;
  }
  const state = { sim, upn: mailbox.upn, folders: new Set(mailbox.folders.map((f) => f.name)) };

  let authProvider;
  if (values.auth === "identity") {
    // ClientSecretCredential runs MSAL Node: with disableInstanceDiscovery it skips the
    // instance-discovery call and reads {authorityHost}/{tenant}/v2.0/.well-known/openid-configuration,
    // then posts the grant to the token_endpoint found there. MSAL caches the token.
    const credential = new ClientSecretCredential(creds.tenant_id, creds.client_id, creds.client_secret, {
      authorityHost: identity.authority,
      disableInstanceDiscovery: true,
    });
    authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: SCOPES });
  } else {
    const tokenEndpoint = identity.token_endpoint ?? `${identity.authority}/${creds.tenant_id}/oauth2/v2.0/token`;
    authProvider = new ClientCredentialsProvider(tokenEndpoint, creds.client_id, creds.client_secret, SCOPES);
  }
  const graph = new URL(values.sim.replace(/\/+$/, "") + "/graph");
  const client = Client.initWithMiddleware({
    authProvider,
    // The SDK joins baseUrl, defaultVersion and the path: {sim}/graph + v1.0 + /users/...
    baseUrl: graph.href,
    defaultVersion: "v1.0",
    // The auth and telemetry handlers add the token only for Graph's own hosts and these;
    // the SDK compares the host name without its port.
    customHosts: new Set([graph.hostname]),
  });
  console.log(`auth: ${values.auth === "identity" ? "@azure/identity ClientSecretCredential + TokenCredentialAuthenticationProvider" : "own fetch provider"}`);

  let failures = 0;
  for (const [name, check] of CHECKS) {
    try {
      const extra = await check(client, state);
      console.log(`ok ${name}${extra ? ` (${extra})` : ""}`);
    } catch (e) {
      failures += 1;
      console.log(`FAIL ${name}: ${why(e)}`);
    }
  }
  console.log(`${CHECKS.length - failures} passed, ${failures} failed`);
  return failures ? 1 : 0;
}

process.exitCode = await main();
