//! The rule catalogue: every rule of wire contract v1 by its ID, its text, and the fixture
//! scenarios written to exercise it. The last six (RETRY-AFTER … TRUNCATION) are manners under
//! the scenario's fault plan, judged from the simulator's access log and journal (`manners.rs`).
//!
//! The IDs are the ones the suite reports; `grep -rn ROUTE-MAP` finds the rule here, the check in
//! `judge.rs`, the scenario in `fixtures/scenarios/` and the test that proves the check can fail.

use std::fmt;

/// A rule of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// ROUTE-MAP
    RouteMap,
    /// ROUTE-EMAIL
    RouteEmail,
    /// ROUTE-AUTO-OFF
    RouteAutoOff,
    /// ROUTE-FANOUT
    RouteFanout,
    /// ROUTE-DROP
    RouteDrop,
    /// FOLDER
    Folder,
    /// SIZE
    Size,
    /// CONTENT
    Content,
    /// RECALL
    Recall,
    /// WINDOW
    Window,
    /// INCREMENTAL
    Incremental,
    /// DEDUP
    Dedup,
    /// REPORT
    Report,
    /// RETRY-AFTER
    RetryAfter,
    /// BACKOFF
    Backoff,
    /// CONCURRENCY
    Concurrency,
    /// REAUTH
    Reauth,
    /// RESUME
    Resume,
    /// TRUNCATION
    Truncation,
}

/// A rule with its text and where it is exercised.
#[derive(Debug, Clone, Copy)]
pub struct Requirement {
    /// The rule.
    pub rule: Rule,
    /// The rule as the contract states it.
    pub text: &'static str,
    /// How the suite checks it.
    pub check: &'static str,
    /// Fixture scenarios (file stems under `fixtures/scenarios/`) written to exercise it.
    pub scenarios: &'static [&'static str],
}

impl Rule {
    /// Every rule, in the contract's order.
    pub const ALL: [Rule; 19] = [
        Rule::RouteMap,
        Rule::RouteEmail,
        Rule::RouteAutoOff,
        Rule::RouteFanout,
        Rule::RouteDrop,
        Rule::Folder,
        Rule::Size,
        Rule::Content,
        Rule::Recall,
        Rule::Window,
        Rule::Incremental,
        Rule::Dedup,
        Rule::Report,
        Rule::RetryAfter,
        Rule::Backoff,
        Rule::Concurrency,
        Rule::Reauth,
        Rule::Resume,
        Rule::Truncation,
    ];

    /// The ID the suite reports.
    pub fn id(self) -> &'static str {
        match self {
            Rule::RouteMap => "ROUTE-MAP",
            Rule::RouteEmail => "ROUTE-EMAIL",
            Rule::RouteAutoOff => "ROUTE-AUTO-OFF",
            Rule::RouteFanout => "ROUTE-FANOUT",
            Rule::RouteDrop => "ROUTE-DROP",
            Rule::Folder => "FOLDER",
            Rule::Size => "SIZE",
            Rule::Content => "CONTENT",
            Rule::Recall => "RECALL",
            Rule::Window => "WINDOW",
            Rule::Incremental => "INCREMENTAL",
            Rule::Dedup => "DEDUP",
            Rule::Report => "REPORT",
            Rule::RetryAfter => "RETRY-AFTER",
            Rule::Backoff => "BACKOFF",
            Rule::Concurrency => "CONCURRENCY",
            Rule::Reauth => "REAUTH",
            Rule::Resume => "RESUME",
            Rule::Truncation => "TRUNCATION",
        }
    }

    /// The rule of an ID (exact, as reported).
    pub fn from_id(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.id() == id)
    }

    /// The rule's catalogue entry.
    pub fn requirement(self) -> &'static Requirement {
        CATALOGUE.iter().find(|r| r.rule == self).expect("every rule is catalogued")
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// The catalogue, in the contract's order.
pub const CATALOGUE: [Requirement; 19] = [
    Requirement {
        rule: Rule::RouteMap,
        text: "A participant whose mobile number is in the mapping, mapped to a valid Microsoft 365 user, is routed to that \
               mailbox, and the mapping wins over the participant's email address.",
        check: "every item reaches the mailbox its participants' mapped numbers name; no item reaches the email mailbox of a \
                participant whose number is mapped to another valid user",
        scenarios: &["route-map", "route-fanout", "realistic-day", "multi-day"],
    },
    Requirement {
        rule: Rule::RouteEmail,
        text: "With automatic mapping on, a participant not routed by the mapping (no mobile, not in the file, or mapped to an \
               address that is no valid user) is routed by its email address when that resolves to a valid user.",
        check: "every item reaches the mailbox its unmapped participants' email addresses resolve to",
        scenarios: &["route-email", "route-fanout", "realistic-day", "multi-day"],
    },
    Requirement {
        rule: Rule::RouteAutoOff,
        text: "With automatic mapping off, only the mapping routes.",
        check: "in runs with AUTO_MAPPING=false no item reaches a mailbox that only an email address leads to",
        scenarios: &["route-auto-off"],
    },
    Requirement {
        rule: Rule::RouteFanout,
        text: "An item goes once into each distinct mailbox that any of its participants routes to.",
        check: "items with several participants reach every mailbox any of them routes to, and no other",
        scenarios: &["route-fanout", "realistic-day", "multi-day"],
    },
    Requirement {
        rule: Rule::RouteDrop,
        text: "An item none of whose participants routes anywhere is not imported; it is reported as failed with reason \
               `user_mapping`.",
        check: "such items are in no mailbox and a run report names them with reason user_mapping",
        scenarios: &["route-drop", "route-auto-off", "report", "realistic-day"],
    },
    Requirement {
        rule: Rule::Folder,
        text: "Items land in a top-level folder named exactly `WeChat Archiver`, created on first use and reused after; a \
               mailbox never gets two such folders.",
        check: "every imported item is in `WeChat Archiver`; no other folder is created; no mailbox has two; none is created \
                empty",
        scenarios: &["folder", "realistic-day", "multi-day"],
    },
    Requirement {
        rule: Rule::Size,
        text: "An item whose raw size exceeds 10 MB = 10,485,760 bytes is not imported and is reported with reason \
               `item_too_large`; an item of exactly that size is imported. The connector never holds more than the limit \
               (+1 byte) of one item in memory, even when a source misreports `size`.",
        check: "items over 10,485,760 bytes (also when the listing under-reports them) are in no mailbox and reported \
                item_too_large; items of exactly 10,485,760 bytes are imported",
        scenarios: &["size", "report", "realistic-day"],
    },
    Requirement {
        rule: Rule::Content,
        text: "What is imported is the source item, byte for byte.",
        check: "the sha256 and size of every imported message equal the archive's",
        scenarios: &["content", "size", "realistic-day"],
    },
    Requirement {
        rule: Rule::Recall,
        text: "A recall is archived as its own item; the recalled original is archived too (nothing is removed or rewritten).",
        check: "recall items and the items they recall are both imported where their participants route",
        scenarios: &["recall", "realistic-day"],
    },
    Requirement {
        rule: Rule::Window,
        text: "A first run at time T imports exactly the items captured in [T - 24 h, T).",
        check: "items of the first run's window are imported; items captured before it (or at or after T, in a one-run \
                scenario) are not",
        scenarios: &["window", "realistic-day"],
    },
    Requirement {
        rule: Rule::Incremental,
        text: "Later runs continue from where the last completed run ended: no gap, no duplicate, also after a missed day or a \
               run that crashed half-way.",
        check: "items between the first window and the last run are imported, across missed days and killed runs; \
                duplicates are judged under DEDUP",
        scenarios: &["incremental", "multi-day", "dedup"],
    },
    Requirement {
        rule: Rule::Dedup,
        text: "An item is never imported twice into the same mailbox (re-runs, repeated listings, retries).",
        check: "no mailbox holds the same item id twice, in any folders",
        scenarios: &["dedup", "incremental", "multi-day"],
    },
    Requirement {
        rule: Rule::Report,
        text: "The run report's counts add up (`imported + skipped_duplicate + failed` = deliveries attempted + items that \
               failed before routing) and every failure names item id, mailbox (or null) and reason.",
        check: "each completed run's report parses; `failed` equals the failures listed; `imported` equals the imports the \
                tenant saw; `skipped_duplicate` does not exceed what the tenant already held; `items` equals the items the \
                archive lists in the reported window; every failure names an archive item, a valid mailbox or null, and a \
                contract reason. Skipped, not passed, when the connector writes no report",
        scenarios: &["report", "route-drop", "size", "realistic-day", "multi-day"],
    },
    Requirement {
        rule: Rule::RetryAfter,
        text: "A 429 or 503 answer carries `Retry-After` (seconds): the connector sends the same request again no earlier than \
               that. (A wait longer than the connector is willing to make ends the run instead; the next scheduled run resumes.)",
        check: "for every 429/503 answer with Retry-After N, the next request of the same target in the same run (the same \
                listing, the same item's download, the same operation on the same mailbox) starts at least N s after the \
                answer (5 ms of clock slack)",
        scenarios: &["retry-after", "soak"],
    },
    Requirement {
        rule: Rule::Backoff,
        text: "Other 5xx answers are retried a bounded number of times, with waits that grow (exponential backoff; jitter \
               allowed).",
        check: "on each target, at most 10 attempts in a row answered 5xx/429; after consecutive 5xx without Retry-After each \
                wait is at least 0.5 x the previous one (jitter and a loaded machine make single waits noisy) (minus 5 ms), and over three or more waits the last is at least 1.5 x \
                the first and 50 ms longer",
        scenarios: &["backoff", "soak"],
    },
    Requirement {
        rule: Rule::Concurrency,
        text: "Never more than 4 tenant requests in flight for one mailbox (Graph's rule); beyond that the tenant answers 429 \
               TooManyRequests.",
        check: "no tenant request for a mailbox arrives while 4 others for it are in flight (the access log's in_flight), and \
                the tenant's throttle, when on, never refused one",
        scenarios: &["concurrency", "soak"],
    },
    Requirement {
        rule: Rule::Reauth,
        text: "A vendor 401 `invalid_token` (the session expired early) leads to a new login and the run goes on.",
        check: "after the run's first vendor 401 a login succeeds, and every request answered 401 is asked again and not \
                refused (requests already in flight on the old token need a retry, not a login of their own); the run's \
                results are judged under the other rules",
        scenarios: &["reauth", "soak"],
    },
    Requirement {
        rule: Rule::Resume,
        text: "After a vendor outage or a connection reset the run may fail, but the next run finishes the job: nothing lost, \
               nothing duplicated.",
        check: "the last run completes; every item of a window whose run failed is where the contract puts it, once; no item \
                whose transfer was reset is in a mailbox twice",
        scenarios: &["resume", "soak"],
    },
    Requirement {
        rule: Rule::Truncation,
        text: "An item whose download was truncated or reset is never imported as if whole: it is imported with the archive's \
               bytes (after downloading it again) or reported failed.",
        check: "every item whose download the fault plan cut is in the tenant only with the archive's sha256 and size, or in no \
                mailbox and named by a report",
        scenarios: &["truncation", "soak"],
    },
];
