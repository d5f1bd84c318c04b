//! `run --html` in a real browser (Debian's headless Chromium through its chromedriver, driven by
//! `fantoccini`, as the simulator's web UI test does): a mutant connector's failing rule, its
//! findings and the retry-after scenario's time line with its throttles and faults are on the page.
//! With `UI_SCREENSHOTS=DIR` the page is saved there as `report.png` (how `docs/img/` is made).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

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
    std::thread::spawn(move || lines.for_each(drop));
    Driver { child, port }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--no-first-run", "--window-size=1280,1700",
                     format!("--user-data-dir={}", profile.display())]
        }
    });
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().unwrap().clone())
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a browser session")
}

async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.unwrap_or_else(|e| panic!("{css}: {e}")).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_report_shows_a_mutant_s_failing_rule_its_findings_and_the_requests_time_line() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    let mutant = format!("{} --mutation folder-name", env!("CARGO_BIN_EXE_tm-mutant"));
    let out = Command::new(env!("CARGO_BIN_EXE_tm-conformance"))
        .args(["run", "--scenario", "retry-after", "--connector-cmd", &mutant])
        .env("TM_CONFORMANCE_HTML", &page)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stdout));
    let html = std::fs::read_to_string(&page).expect("the page written");
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"), "the page fetches nothing");

    let driver = chromedriver();
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&driver, profile.path()).await;
    c.goto(&format!("file://{}", page.display())).await.unwrap();
    let folder = c.find(Locator::XPath("//table[@class='summary']//tr[td/code='FOLDER']")).await.expect("FOLDER in the rule table");
    assert!(folder.text().await.unwrap().contains("fail"), "{}", folder.text().await.unwrap());
    let verdict = folder.find(Locator::Css(".verdict")).await.unwrap();
    assert_eq!(verdict.attr("class").await.unwrap().as_deref(), Some("verdict v-fail"));
    // The scenario failed, so its details are open and its findings visible.
    let finding = c.find(Locator::XPath("//tr[td/code='FOLDER']/td/ul[@class='findings']/li")).await.expect("a FOLDER finding");
    assert!(finding.is_displayed().await.unwrap());
    let words = finding.text().await.unwrap();
    assert!(words.contains("expected in WeChat Archiver") && words.contains("@contoso.cn"), "{words}");
    let diff = c.find(Locator::Css("table.diff")).await.expect("the snapshot's differences").text().await.unwrap();
    assert!(diff.contains("ra-01") && diff.contains("WeChat Archiver") && diff.contains("WeChat Archive"), "{diff}");
    // The time line: every request a mark, the listing's 503 and the 429s highlighted, the waits drawn.
    assert!(count(&c, "svg.timeline rect.mark").await >= 10);
    assert!(count(&c, "svg.timeline rect.mark.throttle").await >= 1);
    assert!(count(&c, "svg.timeline rect.mark.fault").await >= 1);
    assert!(count(&c, "svg.timeline rect.asked").await >= 1 && count(&c, "svg.timeline rect.waited").await >= 1);
    let waits = c.find(Locator::Css("table.waits")).await.expect("the waits table").text().await.unwrap();
    assert!(waits.contains("long enough") && !waits.contains("too early"), "{waits}");
    if let Ok(dir) = std::env::var("UI_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(std::path::Path::new(&dir).join("report.png"), c.screenshot().await.unwrap()).unwrap();
    }
    c.close().await.unwrap();
}
