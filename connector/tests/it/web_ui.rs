//! The simulator's web UI in a real browser (Debian's headless Chromium through its
//! chromedriver, driven by `fantoccini`): every page loads, a participant is found and their
//! item opened, and the imports of a connector run appear in the activity table while it runs.
//! With `UI_SCREENSHOTS=DIR` the main pages are saved there (how `docs/img/` is made).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::harness::{Harness, PEOPLE};

const SCENARIO: &str = r#"
[organisation]
employees = 8
domain = "contoso.cn"
external_contacts = 4
groups = 2

[[employee]]
id = "wang-wei"
name = "王伟"
mobile = "+86 138 1234 5678"
email = "wang.wei@contoso.cn"
app = "wecom"

[traffic]
days = 1
items_per_employee_per_day = 30
oversize_rate = 0.0

# Graph caps a request at 4 MB (such items are sink_rejected: tests/it/limits.rs); this test is
# about the pages, so the cap is contract v1's 150 MiB: every item lands.
[tenant]
max_request_bytes = 157286400

# One import is throttled (the first rule that matches a request fires); the others take a
# while, so that the run is watched as it goes.
[[fault]]
api = "tenant"
op = "import"
after = 20
count = 1
action = "status"
status = 429
retry_after = 1

[[fault]]
api = "tenant"
op = "import"
action = "latency"
latency_ms = 150
count = 0
"#;

/// A chromedriver on a port of its choosing, stopped on drop.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromedriver() -> Driver {
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let mut child = Command::new(&bin)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{bin}: {e} (Debian: apt install chromium chromium-driver; .ci/run installs them)"));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines.next().expect("chromedriver printed its port").unwrap();
        if let Some(rest) = line.split("started successfully on port ").nth(1) {
            break rest.trim_end_matches('.').trim().parse().expect("a port number");
        }
    };
    // Keep reading its output, so that it never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Driver { child, port }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--no-first-run", "--window-size=1280,900",
                     format!("--user-data-dir={}", profile.display())]
        }
    });
    let caps = caps.as_object().unwrap().clone();
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).text().await.unwrap()
}

async fn screenshot(c: &Client, name: &str) {
    if let Ok(dir) = std::env::var("UI_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), c.screenshot().await.unwrap()).unwrap();
    }
}

/// Waits (at most 60 s) for an element.
async fn wait_for(c: &Client, xpath: &str) -> fantoccini::elements::Element {
    c.wait().at_most(Duration::from_secs(60)).for_element(Locator::XPath(xpath)).await.unwrap_or_else(|e| panic!("{xpath}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_ui_shows_the_traffic_the_mailboxes_and_a_connector_run_as_it_goes() {
    let h = Harness::start("web-ui", SCENARIO).await;
    let base = h.sim.base_url();
    let driver = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;

    // Overview: the scenario and its chart; the first Tab reaches the skip link.
    c.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(text(&c, "h1").await, "Overview");
    assert!(!c.find_all(Locator::Css("svg.chart rect")).await.unwrap().is_empty(), "the chart has bars");
    assert!(text(&c, "main").await.contains("web-ui"), "the scenario's name is shown");
    screenshot(&c, "overview").await;
    c.find(Locator::Css("body")).await.unwrap().send_keys("\u{E004}").await.unwrap();
    let focused = c.execute("return document.activeElement.className", vec![]).await.unwrap();
    assert_eq!(focused, json!("skip"), "the first Tab reaches the skip link");

    // Traffic: search for a participant by mobile, open an item, see them with their mobile.
    c.goto(&format!("{base}/traffic")).await.unwrap();
    let all: u64 = text(&c, "[data-count]").await.parse().unwrap();
    c.find(Locator::Id("f-q")).await.unwrap().send_keys("138 1234 5678").await.unwrap();
    c.find(Locator::Css("form.filters button[type=submit]")).await.unwrap().click().await.unwrap();
    // The count paragraph is on the page before the submit too: wait for the filtered page's URL.
    assert!(url_query_holds(&c, "q=138").await, "the URL holds the filter");
    wait_for(&c, "//p[contains(@class,'count')]").await;
    let found: u64 = text(&c, "[data-count]").await.parse().unwrap();
    assert!(0 < found && found < all, "{found} of {all} items involve the participant");
    screenshot(&c, "traffic").await;
    c.find(Locator::Css("table.items tbody tr td a")).await.unwrap().click().await.unwrap();
    wait_for(&c, "//h1[starts-with(.,'Item ')]").await;
    let page = text(&c, "main").await;
    assert!(page.contains("王伟") && page.contains("+8613812345678"), "the participant and their mobile are shown");
    assert!(page.contains("X-TELEMESSAGE-ArchiveMessageID"), "the headers are shown");
    assert!(page.contains("Content type") && page.contains("X-TELEMESSAGE-ContentType"), "the WeCom message type is shown");
    let download = c.find(Locator::Css("a[download]")).await.unwrap().attr("href").await.unwrap().unwrap();
    assert!(download.ends_with("/eml"), "{download}");
    screenshot(&c, "item").await;
    // Traffic by WeCom message type: the row's type links to its filter.
    c.goto(&format!("{base}/traffic?type=text")).await.unwrap();
    let texts: u64 = text(&c, "[data-count]").await.parse().unwrap();
    assert!(0 < texts && texts < all, "{texts} of {all} items are texts");

    // Activity: a connector run's imports appear while it runs, the throttled one highlighted.
    c.goto(&format!("{base}/activity")).await.unwrap();
    assert_eq!(text(&c, "h1").await, "Activity");
    let run = {
        // The scenario's one day of traffic is 2026-11-19: a run at midnight after it imports it.
        let config = h.config("2026-11-20T00:00:00Z");
        tokio::spawn(async move { tm_connector::run(config).await })
    };
    wait_for(&c, "//table[@id='journal']//td[text()='import']").await;
    assert!(!run.is_finished(), "the first imports were seen while the run was still going");
    wait_for(&c, "//table[@id='journal']//tr[contains(@class,'throttle')]/td[text()='429']").await;
    let report = run.await.unwrap().expect("the run completes");
    assert!(report.counts.imported > 0, "{:?}", report.counts);
    wait_for(&c, "//table[@id='mailboxes']//td[text()='wang.wei@contoso.cn']").await;
    // Once the run is over, nothing stays in flight on the page.
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//p[@id='activity-status'][contains(., 'requests')]"))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(c.find_all(Locator::Css("#requests tr.pending")).await.unwrap().is_empty(), "no request is left shown in flight");
    screenshot(&c, "activity").await;

    // Mailboxes: the imported messages, one opened.
    c.goto(&format!("{base}/mailboxes")).await.unwrap();
    c.find(Locator::LinkText("wang.wei@contoso.cn")).await.unwrap().click().await.unwrap();
    wait_for(&c, "//h1[starts-with(.,'Mailbox ')]").await;
    c.find(Locator::LinkText("WeChat Archiver")).await.unwrap().click().await.unwrap();
    wait_for(&c, "//h2[text()='WeChat Archiver']").await;
    let messages: u64 = text(&c, "[data-count]").await.parse().unwrap();
    let archived = h.archived("wang.wei@contoso.cn").await;
    assert_eq!(messages, archived.len() as u64, "every imported message is listed");
    screenshot(&c, "mailbox").await;
    c.find(Locator::Css("table.items tbody tr td a")).await.unwrap().click().await.unwrap();
    wait_for(&c, "//h1[starts-with(.,'Message ')]").await;
    assert!(text(&c, "main").await.contains("(these bytes)"), "the message links its archive item");

    // The API page, and the traffic page at a phone's width: nothing wider than the screen.
    c.goto(&format!("{base}/api")).await.unwrap();
    assert_eq!(text(&c, "h1").await, "API");
    // The OpenAPI description browsed: an operation opens to its parameters and answers, whose
    // schema links lead to the schema.
    c.find(Locator::Css("#op-vendor_raw summary")).await.unwrap().click().await.unwrap();
    assert!(text(&c, "#op-vendor_raw").await.contains("message/rfc822"), "the download's answer is shown");
    screenshot(&c, "api").await;
    c.find(Locator::Css("#op-vendor_list summary")).await.unwrap().click().await.unwrap();
    c.find(Locator::Css("#op-vendor_list a[href='#schema-ItemPage']")).await.unwrap().click().await.unwrap();
    let shown = c.execute("return document.querySelector('#schema-ItemPage').open", vec![]).await.unwrap();
    assert_eq!(shown, json!(true), "following a schema link opens the schema");
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/traffic")).await.unwrap();
    let fits = c.execute("return document.documentElement.scrollWidth <= window.innerWidth + 1", vec![]).await.unwrap();
    assert_eq!(fits, json!(true), "the traffic page fits a phone's width");
    c.close().await.unwrap();
}

/// Live mode (`serve --live`): three items captured a few seconds after the simulator starts
/// arrive while the overview is open, and its counter shows them without a reload; a page of an
/// item not yet arrived is a 404 until it has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_items_are_seen_arriving_on_the_overview_without_a_reload() {
    use chrono::{TimeDelta, Timelike, Utc};
    // The items are scripted on the scenario's one day at the clock's time of day plus a few
    // seconds; live mode moves that day to today. Near midnight, wait for the next day.
    let mut now = Utc::now();
    if now.num_seconds_from_midnight() > 86_340 {
        tokio::time::sleep(Duration::from_secs(u64::from(86_401 - now.num_seconds_from_midnight()))).await;
        now = Utc::now();
    }
    let day = "2026-11-19T00:00:00Z".parse::<chrono::DateTime<Utc>>().unwrap();
    let at = |s: i64| (day + TimeDelta::seconds(i64::from(now.num_seconds_from_midnight()) + s)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let mut body = format!(
        "{PEOPLE}\n[organisation]\nemployees = 4\ndomain = \"contoso.cn\"\nexternal_contacts = 2\ngroups = 1\n\n\
         [traffic]\ndays = 1\nitems_per_employee_per_day = 5\noversize_rate = 0.0\n\n\
         [tenant]\nmax_request_bytes = 157286400\n"
    );
    for (n, seconds) in [(1, 8), (2, 10), (3, 12)] {
        body.push_str(&format!(
            "\n[[item]]\nid = \"live-0{n}\"\nat = \"{}\"\nkind = \"chat\"\nfrom = \"li-na\"\nto = [\"wang-wei\"]\n",
            at(seconds)
        ));
    }
    let options = tm_simulator::Options { live: Some(now), ..tm_simulator::Options::default() };
    let h = Harness::start_with("web-ui-live", &body, options).await;
    let base = h.sim.base_url();
    let driver = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;

    let live_03 = || async { reqwest::get(format!("{base}/traffic/live-03")).await.unwrap().status() };
    assert_eq!(live_03().await, 404, "an item not captured yet has no page");
    c.goto(&format!("{base}/")).await.unwrap();
    let count = |c: Client| async move { text(&c, "[data-live-arrived]").await.parse::<u64>().unwrap() };
    let first = count(c.clone()).await;
    // A mark on the page: it is still there after the counter moved, so the page was not reloaded.
    c.execute("window.__still_here = true", vec![]).await.unwrap();
    // Done when live-03 has arrived and the page's counter says what /sim/scenario says (the
    // counter was read before live-03 arrived, so it has moved; however slowly the machine
    // started the browser, which may have let live-01 and live-02 in before `first`).
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let n = count(c.clone()).await;
        if live_03().await == 200 {
            let scenario: serde_json::Value = reqwest::get(format!("{}/scenario", h.sim.sim_url())).await.unwrap().json().await.unwrap();
            if scenario["live"]["arrived"].as_u64() == Some(n) {
                assert!(n > first, "the counter moved: {first} → {n}");
                break;
            }
        }
        assert!(std::time::Instant::now() < deadline, "the counter stayed at {n} (first {first})");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(c.execute("return window.__still_here === true", vec![]).await.unwrap(), json!(true), "no reload");
    // The arrived item is searchable and has its page now.
    c.goto(&format!("{base}/traffic?q=%E6%9D%8E%E5%A8%9C")).await.unwrap(); // 李娜
    c.find(Locator::Css("a[href='/traffic/live%2D03']")).await.unwrap().click().await.unwrap();
    wait_for(&c, "//h1[contains(.,'live-03')]").await;
    c.close().await.unwrap();
}

/// Whether the page's query comes to hold `part` within 5 s (a submitted form's page loading).
async fn url_query_holds(c: &fantoccini::Client, part: &str) -> bool {
    for _ in 0..100 {
        if c.current_url().await.unwrap().query().unwrap_or("").contains(part) {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}
