//! Tenant credentials the Graph way: OAuth 2.0 client credentials fetched from the identity
//! platform, refreshed before they expire and after a 401; a wrong secret is a configuration
//! error that names the setting and never prints the secret.

use tm_connector::ClientCredentialsConfig;

use crate::harness::{DAY1_END, Harness, PEOPLE};

/// `n` chats on the first day, between the two employees.
fn chats(n: usize) -> String {
    (0..n)
        .map(|i| format!("[[item]]\nid = \"t{i:03}\"\nat = \"2026-11-20T10:{:02}:{:02}.000Z\"\nkind = \"chat\"\nfrom = \"wang-wei\"\nto = [\"zhang-min\"]\n", i / 60, i % 60))
        .collect()
}

fn with_client_credentials(h: &Harness, config: &mut tm_connector::Config, secret: &str) {
    let c = h.sim.credentials();
    config.graph_token = String::new();
    config.client_credentials = Some(ClientCredentialsConfig {
        tenant_id: c.tenant_id.clone(),
        client_id: c.client_id.clone(),
        client_secret: secret.to_owned(),
        authority: h.sim.base_url(),
    });
}

#[tokio::test]
async fn a_run_with_client_credentials_imports_as_with_the_static_token() {
    let h = Harness::start("tokens-ok", &format!("{PEOPLE}{}", chats(5))).await;
    let mut config = h.config(DAY1_END);
    let secret = h.sim.credentials().client_secret.clone();
    with_client_credentials(&h, &mut config, &secret);
    let report = h.run(config).await;
    assert!(report.counts.imported > 0, "{report:?}");
    assert_eq!(report.counts.failed, 0, "{report:?}");
}

/// TOKEN-REFRESH: tokens that live 1 s expire many times during a run that takes longer; every
/// expired one is replaced (before expiry, or after the tenant's 401), nothing is lost.
#[tokio::test]
async fn token_refresh_short_lived_tokens_expire_mid_run_and_nothing_is_lost() {
    let body = format!(
        "{PEOPLE}{}\n[tenant]\ntoken_lifetime_seconds = 1\n\n[[fault]]\napi = \"tenant\"\nop = \"import\"\ncount = 0\naction = \"latency\"\nlatency_ms = 150\n",
        chats(20)
    );
    let h = Harness::start("tokens-refresh", &body).await;
    let mut config = h.config(DAY1_END);
    let secret = h.sim.credentials().client_secret.clone();
    with_client_credentials(&h, &mut config, &secret);
    config.concurrency = 1;
    let report = h.run(config).await;
    assert_eq!(report.counts.failed, 0, "{report:?}");
    assert_eq!(report.counts.imported as usize, h.all_archived().await.len());
    let refused = h.journal().await.into_iter().filter(|e| e.status == 401).count();
    assert_eq!(refused, 0, "tokens are fetched again before they expire: {refused} refused");
}

#[tokio::test]
async fn a_wrong_client_secret_is_a_configuration_error_naming_the_setting_not_the_secret() {
    let h = Harness::start("tokens-wrong", &format!("{PEOPLE}{}", chats(2))).await;
    let mut config = h.config(DAY1_END);
    with_client_credentials(&h, &mut config, "not-the-secret-XYZ");
    let e = tm_connector::run(config).await.expect_err("the run must fail");
    let line = tm_connector::one_line(&e);
    assert_eq!(e.exit_code(), 2, "{line}");
    assert!(line.contains("GRAPH_CLIENT_SECRET") && line.contains("invalid_client"), "{line}");
    assert!(!line.contains("not-the-secret-XYZ"), "{line}");
    assert!(!format!("{e:?}").contains("not-the-secret-XYZ"), "{e:?}");
    assert_eq!(h.imports_in_journal().await, 0, "nothing imported");
}
