//! The tenant directory: every user of the scenario's tenant, found as Graph finds them.
//!
//! - In a path (`/users/{key}`) a user is keyed by id or userPrincipalName only (the UPN compared
//!   case-insensitively), disabled users and users without a mailbox included: Graph's user
//!   resource exists for them (<https://learn.microsoft.com/graph/api/user-get>).
//! - [`Directory::lookup`] is the routing rules' question, used by the oracle and the control
//!   plane: which *valid Microsoft 365 user* (enabled, with a mailbox) has this address (UPN,
//!   primary or alias), compared with the contract's `address_key`.

use std::collections::HashMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use tm_contract::address_key;

use crate::world::scenario::TenantUser;

/// A user as `GET /users/{address}` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// Stable GUID-shaped id derived from the UPN.
    pub id: String,
    /// userPrincipalName.
    pub user_principal_name: String,
    /// Primary address.
    pub mail: String,
    /// Display name.
    pub display_name: String,
}

/// The directory.
#[derive(Debug, Clone)]
pub struct Directory {
    users: Vec<(User, TenantUser)>,
    by_address: HashMap<String, usize>,
    by_upn: HashMap<String, usize>,
    by_id: HashMap<String, usize>,
}

/// The GUID-shaped id of a user principal name.
pub fn user_id(upn: &str) -> String {
    let h = hex::encode(Sha256::digest(upn.to_ascii_lowercase().as_bytes()));
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

impl Directory {
    /// Builds the directory of a scenario's tenant users.
    pub fn new(users: &[TenantUser]) -> Directory {
        let mut d = Directory { users: Vec::new(), by_address: HashMap::new(), by_upn: HashMap::new(), by_id: HashMap::new() };
        for u in users {
            let i = d.users.len();
            let user = User {
                id: user_id(&u.upn),
                user_principal_name: u.upn.clone(),
                mail: u.mail.clone(),
                display_name: u.display_name.clone(),
            };
            for a in std::iter::once(&u.upn).chain(std::iter::once(&u.mail)).chain(&u.aliases) {
                d.by_address.entry(address_key(a)).or_insert(i);
            }
            d.by_upn.entry(address_key(&u.upn)).or_insert(i);
            d.by_id.insert(user.id.clone(), i);
            d.users.push((user, u.clone()));
        }
        d
    }

    /// The valid user with this address (UPN, primary or alias, any case), if any.
    pub fn lookup(&self, address: &str) -> Option<&User> {
        let i = *self.by_address.get(&address_key(address))?;
        let (user, t) = &self.users[i];
        (t.enabled && t.mailbox).then_some(user)
    }

    /// The user with this address (UPN, primary or alias, any case), valid or not: the only
    /// candidate of a `$filter` on an address (scenario addresses are unique across users).
    pub fn by_any_address(&self, address: &str) -> Option<(&User, &TenantUser)> {
        let (u, t) = &self.users[*self.by_address.get(&address_key(address))?];
        Some((u, t))
    }

    /// The user a Graph path names: by id, or by userPrincipalName in any case; valid or not.
    pub fn by_key(&self, id_or_upn: &str) -> Option<(&User, &TenantUser)> {
        let i = self.by_id.get(id_or_upn).or_else(|| self.by_upn.get(&address_key(id_or_upn)))?;
        let (u, t) = &self.users[*i];
        Some((u, t))
    }

    /// Every address (UPN, primary, aliases) of the user with this id.
    pub fn addresses(&self, user_id: &str) -> Vec<String> {
        self.by_id.get(user_id).map_or_else(Vec::new, |&i| {
            let t = &self.users[i].1;
            std::iter::once(&t.upn).chain(std::iter::once(&t.mail)).chain(&t.aliases).cloned().collect()
        })
    }

    /// Every valid user with the folders they start with.
    pub fn valid_users(&self) -> impl Iterator<Item = (&User, &TenantUser)> {
        self.users.iter().filter(|(_, t)| t.enabled && t.mailbox).map(|(u, t)| (u, t))
    }

    /// Every user of the directory, valid or not, in the scenario's order.
    pub fn all(&self) -> impl Iterator<Item = (&User, &TenantUser)> {
        self.users.iter().map(|(u, t)| (u, t))
    }

    /// Every user, valid or not (for summaries).
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// True when the directory has no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(upn: &str, aliases: &[&str], enabled: bool, mailbox: bool) -> TenantUser {
        TenantUser {
            upn: upn.into(),
            mail: upn.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            display_name: upn.into(),
            enabled,
            mailbox,
            folders: vec![],
            hidden_folders: vec![],
        }
    }

    #[test]
    fn lookup_is_case_insensitive_and_accepts_aliases() {
        let d = Directory::new(&[user("wei.wang@contoso.cn", &["w.wang@contoso.cn"], true, true)]);
        assert_eq!(d.lookup("WEI.Wang@Contoso.CN").unwrap().mail, "wei.wang@contoso.cn");
        assert_eq!(d.lookup("w.WANG@contoso.cn").unwrap().user_principal_name, "wei.wang@contoso.cn");
        assert!(d.lookup("nobody@contoso.cn").is_none());
    }

    #[test]
    fn disabled_users_and_users_without_a_mailbox_are_not_valid() {
        let d = Directory::new(&[user("off@contoso.cn", &[], false, true), user("nobox@contoso.cn", &[], true, false)]);
        assert!(d.lookup("off@contoso.cn").is_none());
        assert!(d.lookup("nobox@contoso.cn").is_none());
        assert_eq!(d.valid_users().count(), 0);
        // ... but they exist, as in Graph.
        assert!(!d.by_key("OFF@contoso.cn").unwrap().1.enabled);
        assert!(!d.by_key("nobox@contoso.cn").unwrap().1.mailbox);
    }

    #[test]
    fn a_path_key_is_an_id_or_a_upn_never_an_alias_or_mail() {
        let mut u = user("wei.wang@contoso.onmicrosoft.com", &["w.wang@contoso.cn"], true, true);
        u.mail = "wei.wang@contoso.cn".into();
        let d = Directory::new(&[u]);
        let id = d.by_key("Wei.Wang@Contoso.onmicrosoft.com").unwrap().0.id.clone();
        assert_eq!(d.by_key(&id).unwrap().0.mail, "wei.wang@contoso.cn");
        assert!(d.by_key("wei.wang@contoso.cn").is_none());
        assert!(d.by_key("w.wang@contoso.cn").is_none());
        assert!(d.lookup("w.wang@contoso.cn").is_some());
    }
}
