//! Users, the Graph way: the token checked at start ([`TenantClient::preflight`]), an address
//! resolved to a valid user ([`UserLookup`]), and the per-run [`DirectoryCache`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use reqwest::{StatusCode, Url};
use tokio::sync::OnceCell;

use super::{TenantClient, TenantError, json_or_error, odata_literal};
use crate::retry::Step;
use crate::routing::DirectoryUser;
use crate::source::endpoint;
use tm_contract::MailboxAddress;

/// Anything that can look a user up by address; [`TenantClient`] in production, fakes in tests.
pub trait UserLookup: Sync {
    /// `Some(user)` when `address` belongs to a valid user, `None` when it does not.
    fn lookup_user(&self, address: &MailboxAddress) -> impl Future<Output = Result<Option<DirectoryUser>, TenantError>> + Send;
}

impl<T: UserLookup> UserLookup for &T {
    fn lookup_user(&self, address: &MailboxAddress) -> impl Future<Output = Result<Option<DirectoryUser>, TenantError>> + Send {
        (**self).lookup_user(address)
    }
}

impl TenantClient {
    /// Checks the token before anything is imported: the contract checks auth before anything
    /// else, so a lookup of a UPN that cannot exist answers 401 for a bad token and 404
    /// otherwise.
    pub async fn preflight(&self) -> Result<(), TenantError> {
        let url = endpoint(&self.base, &["users", "tm-connector-preflight@invalid.invalid"]);
        self.get_optional::<DirectoryUser>("user lookup", url).await.map(|_| ())
    }

    /// One GET whose 404 (and 400: a key the directory cannot even read) means "none".
    async fn get_optional<T: serde::de::DeserializeOwned>(&self, what: &str, url: Url) -> Result<Option<T>, TenantError> {
        self.call(
            what,
            || self.http.get(url.clone()).timeout(self.timeouts.request),
            |r| async move {
                match r.status() {
                    StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST => Step::Done(None),
                    _ => json_or_error::<T>(what, r).await.map(Some),
                }
            },
        )
        .await
    }

    /// The user whose userPrincipalName, `mail` or one of whose `proxyAddresses` is `address`,
    /// the Graph way: the path takes a UPN (or an id); other addresses need `$filter`
    /// (<https://learn.microsoft.com/graph/api/user-get>, <https://learn.microsoft.com/graph/api/user-list>).
    async fn find_user(&self, address: &MailboxAddress) -> Result<Option<DirectoryUser>, TenantError> {
        #[derive(serde::Deserialize)]
        struct Users {
            value: Vec<DirectoryUser>,
        }
        const SELECT: &str = "id,userPrincipalName,mail,displayName,accountEnabled";
        // Asked in lower case (the directory ignores case; one spelling per address per run).
        let address = address.key();
        let mut url = endpoint(&self.base, &["users", address]);
        url.query_pairs_mut().append_pair("$select", SELECT);
        if let Some(u) = self.get_optional::<DirectoryUser>("user lookup", url).await? {
            return Ok(Some(u));
        }
        let literal = odata_literal(address);
        for filter in [format!("mail eq {literal}"), format!("proxyAddresses/any(x:x eq {})", odata_literal(&format!("smtp:{address}")))] {
            let mut url = endpoint(&self.base, &["users"]);
            url.query_pairs_mut().append_pair("$filter", &filter).append_pair("$select", SELECT);
            if let Some(found) = self.get_optional::<Users>("user search", url).await? {
                // One address belongs to one user; several would be a broken directory.
                if let [u] = found.value.as_slice() {
                    return Ok(Some(u.clone()));
                }
            }
        }
        Ok(None)
    }

    /// Whether a user's mailbox answers mail calls (Graph: 404 `MailboxNotEnabledForRESTAPI`
    /// for a user without one). A mailbox that refuses the app (403 "Access to OData is
    /// disabled.": outside its scope, SCOPE) exists: the user is valid, the refusal is
    /// remembered and its deliveries are reported without asking again.
    async fn has_mailbox(&self, user: &DirectoryUser) -> Result<bool, TenantError> {
        let mut url = endpoint(&self.base, &["users", user.id.as_str(), "mailFolders", "inbox"]);
        url.query_pairs_mut().append_pair("$select", "id");
        match self.get_optional::<serde_json::Value>("mailbox check", url).await {
            Ok(found) => Ok(found.is_some()),
            Err(e) => self.note_refusal(&user.id, user.mailbox(), e).map(|_| true),
        }
    }
}

impl UserLookup for TenantClient {
    /// A *valid Microsoft 365 user* (enabled, with a mailbox) with this address, found as Graph
    /// finds users ([`TenantClient::find_user`]); disabled users and users without a mailbox
    /// exist in Graph but are not valid.
    async fn lookup_user(&self, address: &MailboxAddress) -> Result<Option<DirectoryUser>, TenantError> {
        let Some(user) = self.find_user(address).await? else { return Ok(None) };
        if user.account_enabled == Some(false) {
            return Ok(None);
        }
        Ok(self.has_mailbox(&user).await?.then_some(user))
    }
}

/// Per-run cache of directory answers, keyed by address (case-insensitively, as
/// [`MailboxAddress`] compares); concurrent askers of one address share one request.
pub struct DirectoryCache<L> {
    lookup: L,
    answers: Mutex<HashMap<MailboxAddress, Arc<OnceCell<Option<DirectoryUser>>>>>,
}

impl<L: UserLookup> DirectoryCache<L> {
    /// A cache in front of `lookup`.
    pub fn new(lookup: L) -> Self {
        DirectoryCache { lookup, answers: Mutex::new(HashMap::new()) }
    }

    /// The underlying lookup.
    #[cfg(test)]
    pub fn inner(&self) -> &L {
        &self.lookup
    }

    /// The answer for one address (asked at most once per run, unless asking failed).
    pub async fn resolve(&self, address: &MailboxAddress) -> Result<Option<DirectoryUser>, TenantError> {
        let cell = self.answers.lock().expect("not poisoned").entry(address.clone()).or_default().clone();
        cell.get_or_try_init(|| self.lookup.lookup_user(address)).await.cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tm_contract::UserId;

    /// A directory where `boss@…` and its alias `chief@…` are one user; counts questions.
    struct FakeDirectory {
        asked: Mutex<Vec<String>>,
        calls: AtomicUsize,
    }

    impl UserLookup for FakeDirectory {
        async fn lookup_user(&self, address: &MailboxAddress) -> Result<Option<DirectoryUser>, TenantError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.asked.lock().unwrap().push(address.key().to_owned());
            tokio::task::yield_now().await;
            let id: UserId = "u-boss".parse().unwrap();
            Ok(match address.key() {
                "boss@contoso.cn" | "chief@contoso.cn" => Some(DirectoryUser {
                    id,
                    user_principal_name: "boss@contoso.cn".into(),
                    mail: Some("boss@contoso.cn".into()),
                    display_name: None,
                    account_enabled: Some(true),
                }),
                _ => None,
            })
        }
    }

    fn fake() -> DirectoryCache<FakeDirectory> {
        DirectoryCache::new(FakeDirectory { asked: Mutex::new(vec![]), calls: AtomicUsize::new(0) })
    }

    #[tokio::test]
    async fn the_directory_is_asked_once_per_address_case_insensitively() {
        let cache = fake();
        for address in ["Boss@Contoso.cn", "boss@contoso.cn", " BOSS@CONTOSO.CN", "x@wechat.example", "X@wechat.example"] {
            cache.resolve(&address.parse().unwrap()).await.unwrap();
        }
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 2);
        assert_eq!(*cache.inner().asked.lock().unwrap(), vec!["boss@contoso.cn", "x@wechat.example"]);
    }

    #[tokio::test]
    async fn concurrent_askers_share_one_lookup() {
        let cache = fake();
        let chief = "chief@contoso.cn".parse().unwrap();
        let answers = futures_util::future::join_all((0..10).map(|_| cache.resolve(&chief))).await;
        assert!(answers.iter().all(|a| a.as_ref().unwrap().as_ref().unwrap().id == "u-boss"));
        assert_eq!(cache.inner().calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn routing_uses_whatever_user_the_directory_returns_for_an_alias() {
        let cache = fake();
        let resolve = |a: &str| {
            let address: MailboxAddress = a.parse().unwrap();
            let cache = &cache;
            async move { cache.resolve(&address).await }
        };
        let a = resolve("chief@contoso.cn").await.unwrap().unwrap();
        let b = resolve("boss@contoso.cn").await.unwrap().unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(resolve("nobody@contoso.cn").await.unwrap(), None);
    }
}
