//! `serve --tls`: HTTPS with a CA of the simulator's own, written where it was asked to be.

use serde_json::Value;
use tm_simulator::{Options, Simulator};

use crate::support::*;

#[tokio::test]
async fn with_tls_every_api_is_https_trusted_through_the_written_ca_only() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let options = Options { tls_ca_file: Some(ca.clone()), ..Options::default() };
    let sim = Simulator::start_with(small(), "127.0.0.1:0".parse().unwrap(), options).await.unwrap();
    assert!(sim.graph_url().starts_with("https://127.0.0.1:"), "{}", sim.graph_url());
    assert_eq!(sim.ca_file().as_deref(), Some(ca.as_path()));
    let _ = client(); // installs the crypto provider
    let pem = std::fs::read(&ca).unwrap();
    let roots = reqwest::Certificate::from_pem_bundle(&pem).unwrap();
    assert_eq!(roots.len(), 1);
    let https = reqwest::Client::builder().add_root_certificate(roots[0].clone()).build().unwrap();
    let r = https
        .get(format!("{}/users/wang.wei@contoso.cn", sim.graph_url()))
        .bearer_auth(&sim.credentials().tenant_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = https.get(format!("{}/scenario", sim.sim_url())).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["identity"]["ca_file"], ca.display().to_string());
    assert_eq!(v["identity"]["authority"], sim.base_url());
    let token_endpoint = v["identity"]["token_endpoint"].as_str().unwrap().to_string();
    assert!(token_endpoint.starts_with("https://") && token_endpoint.ends_with("/oauth2/v2.0/token"), "{token_endpoint}");
    // The tenant's links point back over https.
    let (user, _) = (r.json::<Value>().await.unwrap(), ());
    let v: Value = https
        .get(format!("{}/users/{}/mailFolders?$top=2", sim.graph_url(), user["id"].as_str().unwrap()))
        .bearer_auth(&sim.credentials().tenant_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v["@odata.nextLink"].as_str().unwrap().starts_with(&sim.graph_url()), "{v}");
    // A client that does not trust the CA, and plain HTTP, get nothing.
    assert!(client().get(format!("{}/scenario", sim.sim_url())).send().await.is_err(), "an untrusted certificate");
    assert!(client().get(format!("http://{}/sim/scenario", sim.addr())).send().await.is_err(), "no plain HTTP on the TLS port");
}
