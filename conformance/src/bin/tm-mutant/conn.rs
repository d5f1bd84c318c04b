//! The vendor and tenant calls, with manners: Retry-After, backoff, a new login after a 401.

use super::*;

#[derive(Deserialize, Clone)]
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) mail: String,
    #[serde(rename = "accountEnabled", default)]
    pub(crate) account_enabled: Option<bool>,
}

#[derive(Deserialize)]
struct Users {
    value: Vec<User>,
}

#[derive(Deserialize)]
pub(crate) struct Folder {
    pub(crate) id: String,
    #[serde(rename = "displayName")]
    pub(crate) display_name: String,
    #[serde(rename = "totalItemCount")]
    pub(crate) total_item_count: u64,
}

#[derive(Deserialize)]
pub(crate) struct Folders {
    pub(crate) value: Vec<Folder>,
}

pub(crate) struct Conn<'a> {
    pub(crate) http: reqwest::Client,
    pub(crate) env: &'a Env,
    pub(crate) mutation: Mutation,
    pub(crate) token: std::sync::Mutex<String>,
    /// The tenant's access token: `GRAPH_TOKEN`, or one from the token endpoint.
    pub(crate) graph_token: std::sync::Mutex<String>,
    pub(crate) users: BTreeMap<String, Option<User>>,
    pub(crate) folders: BTreeMap<String, String>,
    /// Mailboxes (user ids) that refused this run: not asked again, their deliveries reported.
    pub(crate) refused: BTreeMap<String, MailboxRefused>,
}

/// A mailbox the tenant refuses for the rest of the run: outside the app's scope (403
/// `ErrorAccessDenied`, <https://learn.microsoft.com/graph/auth-limit-mailbox-access>) or full
/// (`ErrorQuotaExceeded`, 403 or 507: docs/contract.md, "Failure modes").
#[derive(Debug, Clone, thiserror::Error)]
#[error("{detail}")]
pub(crate) struct MailboxRefused {
    /// Full (quota), else outside the scope.
    pub(crate) full: bool,
    /// What the tenant answered, for the report.
    pub(crate) detail: String,
}

/// The Graph error code of an answer's body, if any.
pub(crate) async fn error_code(r: reqwest::Response) -> (StatusCode, String, String) {
    let status = r.status();
    let body = r.json::<Value>().await.unwrap_or(Value::Null);
    let text = |k: &str| body["error"][k].as_str().unwrap_or_default().to_string();
    (status, text("code"), text("message"))
}

/// The refusal of a whole mailbox an answer is, if it is one.
pub(crate) fn mailbox_refusal(user: &str, (status, code, message): &(StatusCode, String, String)) -> Option<MailboxRefused> {
    let s = status.as_u16();
    match code.as_str() {
        // 403 `ErrorQuotaExceeded`, or 507 `QuotaExceededException` (docs/contract.md, "Failure modes").
        "ErrorQuotaExceeded" | "QuotaExceededException" if s == 403 || s == 507 => {
            Some(MailboxRefused { full: true, detail: format!("{s} {code}: the mailbox {user} is full ({message})") })
        }
        "ErrorAccessDenied" if s == 403 => {
            Some(MailboxRefused { full: false, detail: format!("{s} {code}: the mailbox {user} is outside the app's scope ({message})") })
        }
        _ => None,
    }
}

/// Attempts per call, the first included.
pub(crate) const ATTEMPTS: u32 = 6;
/// The longest `Retry-After` waited out; a longer one fails the run (the next run resumes).
pub(crate) const LONGEST_RETRY_AFTER: u64 = 60;

/// `Retry-After` in milliseconds: whole or fractional seconds (Graph sends both:
/// docs/contract.md, "`Retry-After` fractional or absent"); `None` when absent.
pub(crate) fn retry_after(r: &reqwest::Response) -> Option<u64> {
    let s: f64 = r.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    (s.is_finite() && s >= 0.0).then(|| (s * 1000.0).ceil() as u64)
}

pub(crate) fn retryable(s: StatusCode) -> bool {
    s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS || s == StatusCode::REQUEST_TIMEOUT
}

impl Conn<'_> {
    /// The wait before retry `n` (1-based): what `Retry-After` asks (ms, plus a little), else
    /// exponential backoff from 200 ms; `None` when the server asks for more than we wait.
    pub(crate) fn wait(&self, n: u32, asked: Option<u64>) -> Option<std::time::Duration> {
        if self.mutation == Mutation::RetryImmediately {
            return Some(std::time::Duration::ZERO);
        }
        match asked {
            Some(ms) if ms > LONGEST_RETRY_AFTER * 1000 => None,
            Some(ms) => Some(std::time::Duration::from_millis(ms + 25)),
            None => Some(std::time::Duration::from_millis(200 << (n - 1).min(8))),
        }
    }

    /// Sends a request until it is answered with something final: 5xx, 408, 429 and transport
    /// errors are retried (see [`Conn::wait`]); a vendor 401 leads to a new login and a retry.
    pub(crate) async fn send<B>(&self, what: &str, vendor: bool, build: B) -> anyhow::Result<reqwest::Response>
    where
        B: Fn(&reqwest::Client, &str) -> reqwest::RequestBuilder,
    {
        let mut relogins = 0;
        let mut n = 1;
        loop {
            let token = if vendor { self.token.lock().expect("token").clone() } else { self.tenant_token() };
            let asked = match build(&self.http, &token).send().await {
                Ok(r) if vendor && r.status() == StatusCode::UNAUTHORIZED && relogins < 3 => {
                    relogins += 1;
                    Box::pin(self.login()).await?;
                    continue;
                }
                Ok(r) if !vendor && r.status() == StatusCode::UNAUTHORIZED && relogins < 3 && self.refreshes() => {
                    relogins += 1;
                    self.new_tenant_token().await?;
                    continue;
                }
                Ok(r) if retryable(r.status()) => {
                    let asked = retry_after(&r);
                    if n >= ATTEMPTS {
                        bail!("{what}: {} after {n} attempts", r.status());
                    }
                    asked
                }
                Ok(r) => return Ok(r),
                Err(e) if n >= ATTEMPTS => return Err(anyhow!(e).context(format!("{what} after {n} attempts"))),
                Err(_) => None,
            };
            let Some(wait) = self.wait(n, asked) else { bail!("{what}: asked to retry after {asked:?} ms, longer than we wait") };
            tokio::time::sleep(wait).await;
            n += 1;
        }
    }

    pub(crate) async fn lookup(&mut self, address: &str) -> anyhow::Result<Option<User>> {
        let key = tm_contract::address_key(address);
        if let Some(u) = self.users.get(&key) {
            return Ok(u.clone());
        }
        // Graph's way: the path takes a UPN; an alias or a mail address is found with $filter.
        let select = "$select=id,mail,accountEnabled";
        let url = format!("{}/users/{}?{select}", self.env.graph, address);
        let r = self.send("user lookup", false, |h, t| h.get(&url).bearer_auth(t)).await?;
        let mut user = match r.status() {
            StatusCode::OK => Some(r.json::<User>().await?),
            StatusCode::NOT_FOUND => None,
            s => bail!("user lookup {address}: {s}"),
        };
        if user.is_none() {
            let filter = format!("proxyAddresses/any(x:x eq 'smtp:{}')", address.replace('\'', "''"));
            let url = format!("{}/users", self.env.graph);
            let query = [("$filter", filter.as_str()), ("$select", "id,mail,accountEnabled")];
            let r = self.send("user search", false, |h, t| h.get(&url).query(&query).bearer_auth(t)).await?;
            if !r.status().is_success() {
                bail!("user search {address}: {}", r.status());
            }
            user = r.json::<Users>().await?.value.into_iter().next();
        }
        let user = match user {
            Some(u) if u.account_enabled != Some(false) => {
                let url = format!("{}/users/{}/mailFolders/inbox?$select=id", self.env.graph, u.id);
                let r = self.send("mailbox check", false, |h, t| h.get(&url).bearer_auth(t)).await?;
                match r.status() {
                    // 403: the mailbox exists, the app may not reach it (reported per delivery).
                    StatusCode::OK | StatusCode::FORBIDDEN => Some(u),
                    StatusCode::NOT_FOUND => None,
                    s => bail!("mailbox check {address}: {s}"),
                }
            }
            _ => None,
        };
        self.users.insert(key, user.clone());
        Ok(user)
    }

    /// The folders named `name` (Graph's `$filter`, which ignores case); the mutation reads the
    /// first page of the whole listing instead.
    pub(crate) async fn folders(&self, user: &str, name: &str) -> anyhow::Result<Vec<Folder>> {
        let url = format!("{}/users/{user}/mailFolders", self.env.graph);
        let filter = format!("displayName eq '{}'", name.replace('\'', "''"));
        let query: Vec<(&str, &str)> = if self.mutation == Mutation::FirstPageOnly { vec![] } else { vec![("$filter", filter.as_str())] };
        let r = self.send("folders", false, |h, t| h.get(&url).query(&query).bearer_auth(t)).await?;
        if !r.status().is_success() {
            let answer = error_code(r).await;
            if let Some(refused) = mailbox_refusal(user, &answer) {
                return Err(refused.into());
            }
            bail!("folders of {user}: {} {}", answer.0, answer.1);
        }
        Ok(r.json::<Folders>().await?.value)
    }

    /// The archive folder's id and current item count, creating it on first use; `None` when the
    /// tenant refuses to create it and it cannot be found either (only the mutation gets there).
    pub(crate) async fn folder(&mut self, user: &str, name: &str) -> anyhow::Result<Option<(String, u64)>> {
        for attempt in 0..2 {
            if let Some(f) = self.folders(user, name).await?.into_iter().find(|f| f.display_name.eq_ignore_ascii_case(name)) {
                self.folders.insert(user.to_string(), f.id.clone());
                return Ok(Some((f.id, f.total_item_count)));
            }
            if attempt == 0 {
                let url = format!("{}/users/{user}/mailFolders", self.env.graph);
                let body = json!({ "displayName": name });
                let r = self.send("create folder", false, |h, t| h.post(&url).bearer_auth(t).json(&body)).await?;
                // `ErrorFolderExists` is told by its code: Graph answers it 409, and 400 is reported.
                if r.status() != StatusCode::CREATED {
                    let answer = error_code(r).await;
                    if let Some(refused) = mailbox_refusal(user, &answer) {
                        return Err(refused.into());
                    }
                    if answer.1 != "ErrorFolderExists" {
                        bail!("create folder for {user}: {} {}", answer.0, answer.1);
                    }
                }
            }
        }
        if self.mutation == Mutation::FirstPageOnly {
            return Ok(None);
        }
        bail!("no folder {name} for {user}")
    }

    /// The tenant token to send now.
    pub(crate) fn tenant_token(&self) -> String {
        self.graph_token.lock().expect("token").clone()
    }

    /// Whether a tenant 401 leads to a new token (client credentials, and not the mutation).
    fn refreshes(&self) -> bool {
        self.env.client.is_some() && self.mutation != Mutation::StaleToken
    }

    /// A token from the token endpoint (client credentials); a refusal is a configuration error
    /// at the start of a run, a run failure later.
    pub(crate) async fn new_tenant_token(&self) -> anyhow::Result<()> {
        let Some((endpoint, id, secret)) = &self.env.client else { return Ok(()) };
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ];
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let r = self
            .http
            .post(endpoint)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .context("token endpoint")?;
        if !r.status().is_success() {
            bail!("token endpoint: {}", r.status());
        }
        let token = r.json::<Value>().await?["access_token"].as_str().unwrap_or_default().to_string();
        *self.graph_token.lock().expect("token") = token;
        Ok(())
    }

    pub(crate) async fn login(&self) -> anyhow::Result<()> {
        let url = format!("{}/session", self.env.tm);
        let body = json!({"username": self.env.tm_user, "password": self.env.tm_pass});
        let r = self.send("login", false, |h, _| h.post(&url).json(&body)).await?;
        if !r.status().is_success() {
            bail!("login: {}", r.status());
        }
        *self.token.lock().expect("token") = r.json::<Value>().await?["token"].as_str().unwrap_or_default().to_string();
        Ok(())
    }

    pub(crate) async fn page(&self, from: &str, to: &str, cursor: Option<&str>) -> anyhow::Result<Page> {
        let mut query = vec![("from", from.to_string()), ("to", to.to_string()), ("limit", "200".to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        let url = format!("{}/items", self.env.tm);
        let r = self.send("list", true, |h, t| h.get(&url).bearer_auth(t).query(&query)).await?;
        if !r.status().is_success() {
            bail!("list: {}", r.status());
        }
        Ok(r.json().await?)
    }

    /// A page of the sequence listing: the items after `after`, in `seq` order.
    pub(crate) async fn seq_page(&self, after: u64, cursor: Option<&str>) -> anyhow::Result<Page> {
        let mut query = vec![("after", after.to_string()), ("limit", "200".to_string())];
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        let url = format!("{}/items", self.env.tm);
        let r = self.send("list", true, |h, t| h.get(&url).bearer_auth(t).query(&query)).await?;
        if !r.status().is_success() {
            bail!("sequence list: {}", r.status());
        }
        Ok(r.json().await?)
    }

    /// The raw item, checked against the listing's sha256 and downloaded again when it arrives
    /// cut short (truncated or reset); `Ok(None)` when it exceeds `cap` bytes, `Err(reason)` when
    /// it never arrives whole.
    pub(crate) async fn raw(&self, item: &ItemRef, cap: u64) -> anyhow::Result<Result<Option<Vec<u8>>, &'static str>> {
        // The id is opaque: one percent-encoded path segment (`/`, `?`, `#`, `%`, spaces and all).
        let mut url = reqwest::Url::parse(&self.env.tm)?;
        url.path_segments_mut().map_err(|()| anyhow::anyhow!("TM_URL cannot be a base"))?.pop_if_empty().extend([
            "items",
            item.id.as_str(),
            "raw",
        ]);
        let trusting = self.mutation == Mutation::NoVerify;
        for _ in 0..3 {
            let mut r = self.send(&format!("download {}", item.id), true, |h, t| h.get(url.clone()).bearer_auth(t)).await?;
            if r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::GONE {
                return Ok(Err("malformed_item"));
            }
            if !r.status().is_success() {
                bail!("download {}: {}", item.id, r.status());
            }
            let mut out = Vec::new();
            let mut broken = false;
            loop {
                match r.chunk().await {
                    Ok(Some(chunk)) => {
                        if out.len() as u64 + chunk.len() as u64 > cap {
                            return Ok(Ok(None));
                        }
                        out.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(_) => {
                        broken = true;
                        break;
                    }
                }
            }
            let whole = !broken && hex::encode(sha2::Sha256::digest(&out)) == item.sha256;
            let arrived = !broken && out.len() as u64 == item.size;
            if whole || trusting || (arrived && self.mutation == Mutation::TrustBytes) {
                return Ok(Ok(Some(out)));
            }
        }
        Ok(Err("malformed_item"))
    }

    /// Whether the folder holds a message with this `internetMessageId` (Graph's `$filter`).
    pub(crate) async fn has_message(&self, user: &str, folder: &str, message_id: &str) -> anyhow::Result<bool> {
        let url = format!("{}/users/{user}/mailFolders/{folder}/messages", self.env.graph);
        let filter = format!("internetMessageId eq '{}'", message_id.replace('\'', "''"));
        let query = [("$filter", filter.as_str()), ("$select", "id")];
        let r = self.send("message query", false, |h, t| h.get(&url).query(&query).bearer_auth(t)).await?;
        if !r.status().is_success() {
            bail!("message query in {user}: {}", r.status());
        }
        Ok(r.json::<Value>().await?["value"].as_array().is_some_and(|v| !v.is_empty()))
    }

    /// Whether an import whose outcome is unknown landed: asked by its `internetMessageId`, or
    /// (the mutation) told by the folder's count.
    pub(crate) async fn landed(&self, user: &str, folder: &str, count_before: u64, message_id: &str) -> anyhow::Result<bool> {
        if self.mutation == Mutation::CountFence || message_id.is_empty() {
            let now = self.folders(user, FOLDER).await?.into_iter().find(|f| f.id == folder).map(|f| f.total_item_count);
            return Ok(now == Some(count_before + 1));
        }
        self.has_message(user, folder, message_id).await
    }

    /// The import URL: beta's `importMime` (a final message,
    /// <https://learn.microsoft.com/graph/api/mailfolder-importmime?view=graph-rest-beta>), or
    /// (the mutation) v1.0's MIME create on the folder's messages, which makes a draft
    /// (<https://learn.microsoft.com/graph/api/user-post-messages>).
    fn import_url(&self, user: &str, folder: &str) -> String {
        if self.mutation == Mutation::DraftImport {
            return format!("{}/users/{user}/mailFolders/{folder}/messages", self.env.graph);
        }
        let beta = match self.env.graph.strip_suffix("/v1.0") {
            Some(root) => format!("{root}/beta"),
            None => self.env.graph.clone(),
        };
        format!("{beta}/users/{user}/mailFolders/{folder}/importMime")
    }

    /// One import, retried; before a retry of an attempt whose answer was lost (it may have
    /// landed) the tenant is asked ([`Conn::landed`]). `Ok(Ok(()))`: stored; `Ok(Err(detail))`:
    /// refused for good (`sink_rejected`: a 413 for its size, or another refusal);
    /// `Err(MailboxRefused)`: the mailbox refuses everything (scope, quota; a 507 is not retried).
    /// `fence`: the folder's count before and the item's Message-ID.
    pub(crate) async fn import(
        &self,
        user: &str,
        folder: &str,
        fence: Option<(u64, &str)>,
        body: String,
    ) -> anyhow::Result<Result<(), String>> {
        let url = self.import_url(user, folder);
        let (mut n, mut refreshed) = (1, 0);
        loop {
            let token = self.tenant_token();
            let sent = self.http.post(&url).bearer_auth(&token).header("Content-Type", "text/plain").body(body.clone()).send().await;
            let asked = match sent {
                // The answer is whole only with its body (the message resource): a reset mid-body
                // leaves the outcome unknown.
                Ok(r) if r.status() == StatusCode::CREATED => match r.bytes().await {
                    Ok(_) => return Ok(Ok(())),
                    Err(_) => None,
                },
                Ok(r) if r.status() == StatusCode::UNAUTHORIZED && refreshed < 3 && self.refreshes() => {
                    refreshed += 1;
                    self.new_tenant_token().await?;
                    continue;
                }
                // The mutation: a 413 retried as if it could pass.
                Ok(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE && self.mutation == Mutation::Retry413 && n < ATTEMPTS => None,
                Ok(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    let (_, _, message) = error_code(r).await;
                    return Ok(Err(format!(
                        "413: the import request of {} bytes is over the tenant's request cap ({message})",
                        body.len()
                    )));
                }
                Ok(r)
                    if r.status() == StatusCode::INSUFFICIENT_STORAGE || r.status() == StatusCode::FORBIDDEN || !retryable(r.status()) =>
                {
                    let answer = error_code(r).await;
                    if let Some(refused) = mailbox_refusal(user, &answer) {
                        return Err(refused.into());
                    }
                    if retryable(answer.0) {
                        None
                    } else {
                        return Ok(Err(format!("{} {}: {}", answer.0.as_u16(), answer.1, answer.2)));
                    }
                }
                Ok(r) => retry_after(&r),
                Err(_) => None,
            };
            if n >= ATTEMPTS {
                bail!("import into {user}: no answer after {n} attempts");
            }
            let Some(wait) = self.wait(n, asked) else { bail!("import into {user}: asked to retry after {asked:?} ms") };
            tokio::time::sleep(wait).await;
            n += 1;
            if let Some((before, message_id)) = fence
                && self.landed(user, folder, before, message_id).await?
            {
                return Ok(Ok(()));
            }
        }
    }
}
