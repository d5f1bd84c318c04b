//! The `tm-simulator` command line: validate, generate, serve.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::support::SMALL;

const BIN: &str = env!("CARGO_BIN_EXE_tm-simulator");

#[test]
fn validate_accepts_a_good_scenario() {
    let out = Command::new(BIN).args(["validate", SMALL]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
}

#[test]
fn validate_exits_2_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    let text = std::fs::read_to_string(SMALL).unwrap().replace("mobile = \"13900001111\"", "mobile = \"not-a-phone\"");
    std::fs::write(&path, text).unwrap();
    let out = Command::new(BIN).arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml:31: field `external[0].mobile`"), "{err}");
}

/// `[tenant] app_scope` names users, generated ones included: one that is no user is an error
/// with its line, found by `validate` too.
#[test]
fn validate_checks_that_the_app_scope_names_users() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scope.toml");
    let small = std::fs::read_to_string(SMALL).unwrap();
    std::fs::write(&path, small.replace("[tenant]\n", "[tenant]\napp_scope = [\"wang.wei@contoso.cn\", \"ghost@contoso.cn\"]\n")).unwrap();
    let out = Command::new(BIN).arg("validate").arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("scope.toml:39: field `tenant.app_scope[1]`: `ghost@contoso.cn` is no user"), "{err}");
    std::fs::write(&path, small.replace("[tenant]\n", "[tenant]\napp_scope = [\"grace.chen@contoso.cn\"]\n")).unwrap();
    let out = Command::new(BIN).arg("validate").arg(&path).output().unwrap();
    assert!(out.status.success(), "a user from an employee entry: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn generate_writes_an_eml_per_item_and_an_index() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN).args(["generate", "--scenario", SMALL, "--out"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("index.json")).unwrap()).unwrap();
    let items = index["items"].as_array().unwrap();
    assert!(items.len() > 50);
    for i in items {
        let bytes = std::fs::read(dir.path().join(format!("{}.eml", i["id"].as_str().unwrap()))).unwrap();
        assert_eq!(bytes.len() as u64, i["size"].as_u64().unwrap());
    }
}

#[test]
fn serve_on_port_0_prints_the_real_port_and_answers_there() {
    let mut child = Command::new(BIN)
        .args(["serve", "--scenario", SMALL, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("serve prints its URLs").unwrap();
        if let Some(rest) = line.split("TM_URL=").nth(1) {
            break rest.trim().to_string();
        }
    };
    assert!(!url.ends_with(":0/tm/v1"), "{url}");
    let port = url.trim_start_matches("http://127.0.0.1:").trim_end_matches("/tm/v1");
    let mut stream = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    std::io::Write::write_all(&mut stream, b"GET /sim/scenario HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    std::io::Read::read_to_string(&mut stream, &mut response).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("\"name\":\"small\""));
}

#[test]
fn serve_refuses_a_data_directory_of_another_scenario_with_exit_2_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--scenario", SMALL, "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    while !banner.contains("data directory") {
        banner.push_str(&lines.next().expect("serve prints its banner").unwrap());
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(banner.contains(&dir.path().display().to_string()), "{banner}");

    let other = dir.path().join("other.toml");
    std::fs::write(&other, std::fs::read_to_string(SMALL).unwrap().replace("seed = 42", "seed = 43")).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--scenario"])
        .arg(&other)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("written for scenario \"small\" (seed 42), not for \"small\" (seed 43)"), "{err}");
}

/// `serve` configured by its environment variables alone (as a CI service container is): the
/// scenario, the listen address, and a boolean flag that `false` leaves off.
#[test]
fn serve_takes_every_flag_from_the_environment() {
    for (live, says_live) in [("false", false), ("true", true)] {
        let mut child = Command::new(BIN)
            .arg("serve")
            .env("TM_SIMULATOR_SCENARIO", SMALL)
            .env("TM_SIMULATOR_LISTEN", "127.0.0.1:0")
            .env("TM_SIMULATOR_LIVE", live)
            .env("TM_SIMULATOR_THREADS", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut printed = Vec::new();
        for line in BufReader::new(child.stdout.take().unwrap()).lines() {
            let line = line.unwrap();
            let done = line.starts_with("Ctrl-C stops.");
            printed.push(line);
            if done {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let text = printed.join("\n");
        assert!(text.contains("TM_URL=http://127.0.0.1:") && !text.contains("127.0.0.1:0/"), "{text}");
        assert_eq!(text.contains("  live "), says_live, "TM_SIMULATOR_LIVE={live}: {text}");
    }
}
