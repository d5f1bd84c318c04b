//! One run: list the window, download, route each participant, import, write the report.

use super::*;

/// (display name, address) of From, To and Cc, in that order.
pub(crate) fn participants(raw: &[u8]) -> Vec<(String, String)> {
    let Some(msg) = mail_parser::MessageParser::default().parse_headers(raw) else { return Vec::new() };
    let mut out = Vec::new();
    for list in [msg.from(), msg.to(), msg.cc()].into_iter().flatten() {
        for a in list.iter() {
            if let Some(address) = a.address() {
                out.push((a.name().unwrap_or_default().to_string(), address.to_string()));
            }
        }
    }
    out
}

/// (display name, address) of everyone inside an item: the From, To and Cc of every nested
/// message/rfc822, and every vCard's `FN +TEL` and `EMAIL` (what ROUTE-NESTED forbids).
fn nested_people(raw: &[u8]) -> Vec<(String, String)> {
    use mail_parser::{MimeHeaders, PartType};
    let Some(msg) = mail_parser::MessageParser::default().parse(raw) else { return Vec::new() };
    let mut out = Vec::new();
    for part in &msg.parts {
        if let PartType::Message(nested) = &part.body {
            for list in [nested.from(), nested.to(), nested.cc()].into_iter().flatten() {
                for a in list.iter() {
                    out.push((a.name().unwrap_or_default().to_string(), a.address().unwrap_or_default().to_string()));
                }
            }
        }
        if part.content_type().is_some_and(|c| c.c_subtype.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("vcard"))) {
            let card = String::from_utf8_lossy(part.contents()).to_string();
            let field = |name: &str| {
                card.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.starts_with(name)).map(|(_, v)| v.trim().to_string()))
            };
            let name = format!("{} {}", field("FN").unwrap_or_default(), field("TEL").unwrap_or_default());
            out.push((name, field("EMAIL").unwrap_or_default()));
        }
    }
    out.retain(|(_, address)| !address.is_empty());
    out
}

pub(crate) async fn run(m: Mutation) -> Result<(), Failure> {
    let env = env(m)?;
    std::fs::create_dir_all(&env.state).context("STATE_DIR")?;
    let checkpoint_path = env.state.join("mutant-checkpoint.txt");
    let result = work(m, &env, &checkpoint_path).await;
    if m == Mutation::CheckpointOnFailure && matches!(result, Err(Failure::Run(_))) {
        // The mutation: the window counts as done although the run failed half-way.
        std::fs::write(&checkpoint_path, rfc3339(env.run_at)).context("checkpoint")?;
    }
    result
}

/// One delivery waiting to be sent: item, user id, mailbox address, folder id, the folder's count
/// before, the item's Message-ID, base64 body.
pub(crate) struct Delivery {
    pub(crate) item: String,
    pub(crate) user: String,
    pub(crate) mail: String,
    pub(crate) folder: String,
    pub(crate) count_before: u64,
    pub(crate) message_id: String,
    pub(crate) body: String,
}

/// What a run counted, for its report.
#[derive(Default)]
pub(crate) struct Tally {
    pub(crate) items: u64,
    pub(crate) imported: u64,
    pub(crate) skipped: u64,
    /// (item id, mailbox, reason, detail).
    pub(crate) failures: Vec<(String, Option<String>, &'static str, Option<String>)>,
}

impl Tally {
    /// A failure for the report.
    pub(crate) fn fail(&mut self, item: &str, mailbox: Option<&str>, reason: &'static str, detail: Option<String>) {
        self.failures.push((item.to_string(), mailbox.map(str::to_string), reason, detail));
    }
}

/// The window's start: the checkpoint (pinned before the first import), or what a mutation makes of it.
fn window_start(m: Mutation, env: &Env, checkpoint_path: &Path) -> Result<DateTime<Utc>, Failure> {
    let first_path = env.state.join("mutant-first-from.txt");
    let read_time = |p: &Path| -> Option<DateTime<Utc>> {
        std::fs::read_to_string(p).ok().and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok()).map(|t| t.with_timezone(&Utc))
    };
    let day_before = env.run_at - Duration::hours(24);
    if read_time(checkpoint_path).is_none() {
        // Pin the first window's start before importing anything (a killed first run resumes it).
        std::fs::write(checkpoint_path, rfc3339(day_before)).context("checkpoint")?;
        std::fs::write(&first_path, rfc3339(day_before)).context("checkpoint")?;
    }
    Ok(match m {
        Mutation::IgnoreWindow => DateTime::<Utc>::UNIX_EPOCH,
        Mutation::NoCheckpoint => day_before,
        Mutation::Reimport => read_time(&first_path).unwrap_or(day_before),
        _ => read_time(checkpoint_path).unwrap_or(day_before),
    })
}

/// Both services' clients, logged in.
async fn connect(m: Mutation, env: &Env) -> Result<Conn<'_>, Failure> {
    let http = reqwest::Client::builder().build().context("HTTP client")?;
    let conn = Conn {
        http,
        env,
        mutation: m,
        token: std::sync::Mutex::new(String::new()),
        graph_token: std::sync::Mutex::new(env.token.clone()),
        users: BTreeMap::new(),
        folders: BTreeMap::new(),
        refused: BTreeMap::new(),
    };
    if let Err(e) = conn.new_tenant_token().await {
        return Err(Failure::Config(e.context("tenant client credentials")));
    }
    Ok(conn)
}

/// Resolves imports a kill or a failure cut short: the tenant is asked whether each landed.
async fn resolve_intents(conn: &mut Conn<'_>, ledger: &mut Ledger) -> Result<(), Failure> {
    for (item, user, folder, before, message_id) in std::mem::take(&mut ledger.intents) {
        if conn.landed(&user, &folder, before, &message_id).await? {
            ledger.append(&format!("imported\t{item}\t{user}"))?;
            ledger.imported.insert((item, user));
        } else {
            ledger.append(&format!("cleared\t{item}\t{user}"))?;
        }
    }
    Ok(())
}

pub(crate) async fn work(m: Mutation, env: &Env, checkpoint_path: &Path) -> Result<(), Failure> {
    let from = window_start(m, env, checkpoint_path)?;
    let (from_s, to_s) = (rfc3339(from), rfc3339(env.run_at));
    let mut conn = connect(m, env).await?;
    let mut ledger = Ledger::open(&env.state, m == Mutation::Reimport)?;
    resolve_intents(&mut conn, &mut ledger).await?;
    match conn.login().await {
        Ok(()) => {}
        Err(e) if e.to_string().contains("401") => return Err(Failure::Config(e.context("vendor credentials"))),
        Err(e) => return Err(Failure::Run(e)),
    }
    let mut tally = Tally::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = conn.page(&from_s, &to_s, cursor.as_deref()).await?;
        let fresh: Vec<&ItemRef> = page.items.iter().filter(|i| seen.insert(i.id.to_string())).collect(); // a repeated page
        process_page(&mut conn, &mut ledger, &fresh, &mut tally).await?;
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    let seq_path = env.state.join("mutant-seq.txt");
    let after_seq = match m {
        Mutation::WindowOnly => None,
        _ => Some(sequence(&mut conn, &mut ledger, &mut tally, &mut seen, (from, &seq_path)).await?),
    };
    write_report(m, env, (&from_s, &to_s), tally)?;
    std::fs::write(checkpoint_path, rfc3339(env.run_at)).context("checkpoint")?;
    if let Some(s) = after_seq {
        std::fs::write(&seq_path, s.to_string()).context("sequence cursor")?;
    }
    Ok(())
}

/// A page's new items: counted, run, and (the flood mutation) their imports sent.
async fn process_page(conn: &mut Conn<'_>, ledger: &mut Ledger, items: &[&ItemRef], tally: &mut Tally) -> Result<(), Failure> {
    let mut waiting: Vec<Delivery> = Vec::new();
    for item in items {
        tally.items += 1;
        item_run(conn, ledger, item, tally, &mut waiting).await?;
    }
    // The mutation: a page's imports go out 8 at a time, whatever mailbox they are for.
    for batch in waiting.chunks(8) {
        let sent = futures_util::future::join_all(batch.iter().map(|d| conn.import(&d.user, &d.folder, None, d.body.clone()))).await;
        for (d, created) in batch.iter().zip(sent) {
            record(ledger, d, created?, tally)?;
        }
    }
    Ok(())
}

/// The sequence after the cursor in `seq_path` (LATE): items captured before RUN_AT and not
/// listed by the window are imported (on a first run only those of the window: it just places
/// the cursor); expired ranges are reported. Returns the cursor to write after the run.
async fn sequence(
    conn: &mut Conn<'_>,
    ledger: &mut Ledger,
    tally: &mut Tally,
    seen: &mut BTreeSet<String>,
    (from, seq_path): (DateTime<Utc>, &Path),
) -> Result<u64, Failure> {
    let cursor_seq: Option<u64> = std::fs::read_to_string(seq_path).ok().and_then(|t| t.trim().parse().ok());
    let (after, late, run_at) = (cursor_seq.unwrap_or(0), cursor_seq.is_some(), conn.env.run_at);
    let (mut high, mut cursor) = (after, None::<String>);
    loop {
        let page = conn.seq_page(after, cursor.as_deref()).await?;
        if let Some(e) = page.expired {
            high = high.max(e.last_seq);
            if late {
                let detail = format!("{} items expired before they were listed", e.count);
                tally.fail(&format!("expired:{}-{}", e.first_seq, e.last_seq), None, "source_expired", Some(detail));
            }
        }
        high = page.items.iter().filter_map(|i| i.seq).fold(high, u64::max);
        let wanted = |i: &&ItemRef| i.captured_at < run_at && (late || i.captured_at >= from);
        let fresh: Vec<&ItemRef> = page.items.iter().filter(wanted).filter(|i| seen.insert(i.id.to_string())).collect();
        process_page(conn, ledger, &fresh, tally).await?;
        cursor = page.next_cursor;
        if cursor.is_none() {
            return Ok(high);
        }
    }
}

/// The run report (unless the mutation writes none).
fn write_report(m: Mutation, env: &Env, (from_s, to_s): (&str, &str), mut tally: Tally) -> Result<(), Failure> {
    let Some(path) = &env.report else { return Ok(()) };
    if m == Mutation::NoReport {
        return Ok(());
    }
    tally.failures.sort();
    let counted = if m == Mutation::BadCounts { tally.imported + 1 } else { tally.imported };
    let report = json!({
        "run_at": rfc3339(env.run_at),
        "window": {"from": from_s, "to": to_s},
        "counts": {"items": tally.items, "imported": counted, "skipped_duplicate": tally.skipped, "failed": tally.failures.len()},
        "failures": tally.failures.iter().map(failure_json).collect::<Vec<_>>(),
    });
    std::fs::write(path, serde_json::to_string_pretty(&report).context("report")? + "\n").context("REPORT_PATH")?;
    Ok(())
}

/// A report's failure: item id, mailbox, reason, and the detail when there is one.
fn failure_json((item, mailbox, reason, detail): &(String, Option<String>, &'static str, Option<String>)) -> Value {
    let mut f = json!({"item_id": item, "mailbox": mailbox, "reason": reason});
    if let Some(d) = detail {
        f["detail"] = json!(d);
    }
    f
}

/// One listed item: downloaded, routed, delivered to each of its mailboxes (or held in
/// `waiting` for the flood mutation).
async fn item_run(
    conn: &mut Conn<'_>,
    ledger: &mut Ledger,
    item: &ItemRef,
    tally: &mut Tally,
    waiting: &mut Vec<Delivery>,
) -> Result<(), Failure> {
    let m = conn.mutation;
    let cap = if m == Mutation::Oversize { u64::MAX } else { LIMIT };
    let fail = |tally: &mut Tally, reason| tally.fail(item.id.as_str(), None, reason, None);
    if item.size > cap {
        fail(tally, "item_too_large");
        return Ok(());
    }
    let mut raw = match conn.raw(item, cap).await? {
        Ok(Some(raw)) => raw,
        Ok(None) => {
            fail(tally, "item_too_large");
            return Ok(());
        }
        Err(reason) => {
            fail(tally, reason);
            return Ok(());
        }
    };
    if m == Mutation::SkipRecalls && item.kind == Kind::Recall {
        return Ok(());
    }
    let message_id = mail_parser::MessageParser::default()
        .parse_headers(&raw)
        .and_then(|h| h.message_id().map(|id| format!("<{id}>")))
        .unwrap_or_default();
    let mut people = participants(&raw);
    // An item without a Message-ID is no archive item (and a lost import of it could not be
    // looked for): malformed, unless the mutation trusts whatever it got.
    if people.is_empty() || (message_id.is_empty() && m != Mutation::TrustBytes) {
        fail(tally, "malformed_item");
        return Ok(());
    }
    if m == Mutation::FirstParticipant {
        people.truncate(1);
    }
    if m == Mutation::RouteNested {
        people.extend(nested_people(&raw));
    }
    let targets = route(conn, &people).await?;
    if targets.is_empty() {
        if m != Mutation::DropSilently {
            fail(tally, "user_mapping");
        }
        return Ok(());
    }
    if m == Mutation::Tamper {
        raw.splice(0..0, b"X-Mutant: tampered\r\n".iter().copied());
    }
    let body = STANDARD.encode(&raw);
    for user in targets.values() {
        deliver(conn, ledger, (item, user, &message_id, &body), tally, waiting).await?;
    }
    Ok(())
}

/// The mailboxes of an item's participants: by the mapping, else (auto mapping) by address.
async fn route(conn: &mut Conn<'_>, people: &[(String, String)]) -> Result<BTreeMap<String, User>, Failure> {
    let (m, env) = (conn.mutation, conn.env);
    let mut targets: BTreeMap<String, User> = BTreeMap::new();
    for (name, address) in people {
        let mapped = match MobileNumber::from_display_name(name).and_then(|mobile| env.mapping.get(&mobile)) {
            Some(mailbox) => conn.lookup(mailbox.address.as_str()).await?,
            None => None,
        };
        let by_email = (env.auto || m == Mutation::EmailAlways) && m != Mutation::NoEmail;
        let user = match mapped {
            Some(u) => Some(u),
            None if by_email => conn.lookup(address).await?,
            None => None,
        };
        if let Some(u) = user {
            targets.insert(u.id.clone(), u);
        }
    }
    Ok(targets)
}

/// One delivery of an item to a mailbox: skipped when the ledger has it, else intent, import, outcome.
async fn deliver(
    conn: &mut Conn<'_>,
    ledger: &mut Ledger,
    (item, user, message_id, body): (&ItemRef, &User, &str, &str),
    tally: &mut Tally,
    waiting: &mut Vec<Delivery>,
) -> Result<(), Failure> {
    let m = conn.mutation;
    if ledger.imported.contains(&(item.id.to_string(), user.id.clone())) {
        tally.skipped += 1;
        return Ok(());
    }
    if let Some(refused) = conn.refused.get(&user.id) {
        tally.fail(item.id.as_str(), Some(&user.mail), "sink_rejected", Some(refused.detail.clone()));
        return Ok(());
    }
    let folder_name = if m == Mutation::FolderName { "WeChat Archive" } else { FOLDER };
    let found = match conn.folder(&user.id, folder_name).await {
        // The mutation: a 401 (its token expired) gives the delivery up.
        Err(e) if m == Mutation::StaleToken && e.to_string().contains("401") => None,
        Err(e) if e.downcast_ref::<MailboxRefused>().is_some() => {
            refuse(conn, item, user, e.downcast::<MailboxRefused>().expect("checked"), tally);
            return Ok(());
        }
        found => found?,
    };
    let Some((folder, count)) = found else {
        tally.fail(item.id.as_str(), Some(&user.mail), "sink_rejected", None);
        return Ok(());
    };
    let d = Delivery {
        item: item.id.to_string(),
        user: user.id.clone(),
        mail: user.mail.clone(),
        folder,
        count_before: count,
        message_id: message_id.to_string(),
        body: body.to_string(),
    };
    if m == Mutation::FloodMailbox {
        waiting.push(d);
        return Ok(());
    }
    ledger.append(&format!("intent\t{}\t{}\t{}\t{}\t{}", d.item, d.user, d.folder, d.count_before, d.message_id))?;
    match conn.import(&d.user, &d.folder, Some((d.count_before, &d.message_id)), d.body.clone()).await {
        Err(e) if e.downcast_ref::<MailboxRefused>().is_some() => {
            ledger.append(&format!("cleared\t{}\t{}", d.item, d.user))?;
            refuse(conn, item, user, e.downcast::<MailboxRefused>().expect("checked"), tally);
            Ok(())
        }
        created => Ok(record(ledger, &d, created?, tally)?),
    }
}

/// A delivery the mailbox refused: reported, and the mailbox remembered for the rest of the run
/// (unless the mutation forgets it and asks again for every item).
fn refuse(conn: &mut Conn<'_>, item: &ItemRef, user: &User, refused: MailboxRefused, tally: &mut Tally) {
    tally.fail(item.id.as_str(), Some(&user.mail), "sink_rejected", Some(refused.detail.clone()));
    let forgets = if refused.full { conn.mutation == Mutation::AskFullMailbox } else { conn.mutation == Mutation::AskOutOfScope };
    if !forgets {
        conn.refused.insert(user.id.clone(), refused);
    }
}

/// Records an import's outcome in the ledger and the counts.
pub(crate) fn record(ledger: &mut Ledger, d: &Delivery, created: Result<(), String>, tally: &mut Tally) -> anyhow::Result<()> {
    let (item, user) = (&d.item, &d.user);
    if created.is_ok() {
        tally.imported += 1;
        ledger.append(&format!("imported\t{item}\t{user}"))?;
        ledger.imported.insert((item.to_string(), user.to_string()));
    } else {
        ledger.append(&format!("cleared\t{item}\t{user}"))?;
        tally.fail(item, Some(&d.mail), "sink_rejected", created.err());
    }
    Ok(())
}
