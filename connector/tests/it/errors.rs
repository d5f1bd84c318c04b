//! How a failed run explains itself: one line that names what failed, where and why, each thing
//! said once (refused, timeout, TLS, 401, 5xx after retries), in the library and at the CLI.

use std::time::Duration;

use tm_connector::{ConnectorError, RetryPolicy, one_line};

use crate::harness::{DAY1_END, Harness, PEOPLE};

/// No phrase of three words or more appears twice in the line.
fn assert_said_once(line: &str) {
    let words: Vec<&str> = line.split_whitespace().collect();
    for n in [3usize, 4, 5] {
        let mut seen = std::collections::HashSet::new();
        for w in words.windows(n) {
            assert!(seen.insert(w.join(" ")), "`{}` is said twice in: {line}", w.join(" "));
        }
    }
}

async fn failure(config: tm_connector::Config) -> (ConnectorError, String) {
    let e = tm_connector::run(config).await.expect_err("the run must fail");
    let line = one_line(&e);
    assert_said_once(&line);
    assert!(!line.contains('\n'), "{line}");
    (e, line)
}

fn quick(config: &mut tm_connector::Config) {
    config.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(20),
        ..RetryPolicy::default()
    };
    config.request_timeout = Duration::from_millis(300);
    config.connect_timeout = Duration::from_millis(300);
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_refused_connection_says_which_service_at_which_url() {
    let h = Harness::start("errors-refused", PEOPLE).await;
    let port = closed_port();
    let mut config = h.config(DAY1_END);
    config.tm_url = format!("http://127.0.0.1:{port}/tm/v1");
    quick(&mut config);
    let (e, line) = failure(config).await;
    assert_eq!(
        line,
        format!("cannot reach the vendor archive at http://127.0.0.1:{port}/tm/v1: connection refused (gave up after 2 attempts)")
    );
    assert_eq!(e.exit_code(), 1);
}

#[tokio::test]
async fn a_tenant_that_never_answers_is_a_timeout_naming_the_tenant() {
    let h = Harness::start("errors-timeout", PEOPLE).await;
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let _keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let mut config = h.config(DAY1_END);
    config.graph_url = format!("http://127.0.0.1:{port}/graph/v1.0");
    quick(&mut config);
    let (_, line) = failure(config).await;
    assert_eq!(line, format!("cannot reach the tenant at http://127.0.0.1:{port}/graph/v1.0: timed out (gave up after 2 attempts)"));
}

#[tokio::test]
async fn tls_to_a_plain_http_server_says_tls() {
    let h = Harness::start("errors-tls", PEOPLE).await;
    let mut config = h.config(DAY1_END);
    let plain = config.tm_url.clone();
    config.tm_url = plain.replacen("http://", "https://", 1);
    quick(&mut config);
    let (_, line) = failure(config).await;
    let prefix = format!("cannot reach the vendor archive at {}: TLS: ", config_url(&plain));
    assert!(line.starts_with(&prefix), "{line}");
}

fn config_url(plain: &str) -> String {
    plain.replacen("http://", "https://", 1)
}

#[tokio::test]
async fn wrong_credentials_are_a_configuration_error_naming_the_user_not_the_password() {
    let h = Harness::start("errors-401", PEOPLE).await;
    let mut config = h.config(DAY1_END);
    config.tm_password = "wrong-password-xyz".into();
    quick(&mut config);
    let (e, line) = failure(config).await;
    assert_eq!(e.exit_code(), 2);
    assert!(line.starts_with("configuration error: the vendor archive rejected the credentials of user `"), "{line}");
    assert!(line.ends_with("(invalid_credentials)"), "{line}");
    assert!(!line.contains("wrong-password-xyz"), "{line}");
    let mut config = h.config(DAY1_END);
    config.graph_token = "not-the-token".into();
    let (e, line) = failure(config).await;
    assert_eq!(e.exit_code(), 2);
    assert_eq!(line, "configuration error: GRAPH_TOKEN: the tenant rejected the token (HTTP 401 InvalidAuthenticationToken)");
}

#[tokio::test]
async fn a_server_error_after_retries_says_what_was_asked_and_how_often() {
    let h = Harness::start(
        "errors-5xx",
        &format!(
            r#"{PEOPLE}
[[fault]]
api = "vendor"
op = "login"
count = 0
action = "status"
status = 500
"#
        ),
    )
    .await;
    let mut config = h.config(DAY1_END);
    quick(&mut config);
    let (e, line) = failure(config).await;
    assert_eq!(e.exit_code(), 1);
    assert!(line.starts_with("vendor archive: vendor login: HTTP 500 Internal Server Error "), "{line}");
    assert!(line.ends_with("(gave up after 2 attempts)"), "{line}");
}

/// The binary prints the same one line (no chain of repeats), exit 1.
#[test]
fn the_cli_prints_one_line_for_a_refused_connection() {
    let port = closed_port();
    let state = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tm-connector"))
        .arg("run")
        .env("TM_URL", format!("http://127.0.0.1:{port}/tm/v1"))
        .env("TM_USERNAME", "u")
        .env("TM_PASSWORD", "p")
        .env("GRAPH_URL", format!("http://127.0.0.1:{port}/graph/v1.0"))
        .env("GRAPH_TOKEN", "t")
        .env("STATE_DIR", state.path())
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("tm-connector: cannot reach the vendor archive at http://127.0.0.1:{port}/tm/v1: connection refused")),
        "{stderr}"
    );
    assert_said_once(last);
}
