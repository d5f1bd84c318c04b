//! [`MailboxAddress`]: a mail address as written, compared and hashed case-insensitively.
//!
//! Exchange treats SMTP addresses case-insensitively, local part included, so every address the
//! project compares (mapping targets, directory entries, report mailboxes, participants' mail)
//! is compared through this one type, by its Unicode lower case (`str::to_lowercase`), decided
//! here once. The text as written is kept for display and for the wire.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A string that is not an address: one non-empty local part, one `@`, one non-empty domain,
/// no whitespace.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a mail address: expected an address like user@example.com")]
pub struct BadAddress(pub String);

/// The case-insensitive key of an address: trimmed, Unicode lower case. Everything that compares
/// addresses (this type, the connector's directory cache, the simulator's directory) uses it.
pub fn address_key(address: &str) -> String {
    address.trim().to_lowercase()
}

/// Whether two addresses are the same mailbox address (by [`address_key`]).
pub fn same_address(a: &str, b: &str) -> bool {
    address_key(a) == address_key(b)
}

/// A mailbox address (trimmed, case kept; equality, order and hash ignore case).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MailboxAddress {
    text: Box<str>,
    key: Box<str>,
}

impl MailboxAddress {
    /// Parses an address (surrounding whitespace trimmed).
    pub fn parse(text: &str) -> Result<MailboxAddress, BadAddress> {
        let text = text.trim();
        let plausible = match text.rsplit_once('@') {
            Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !text.chars().any(char::is_whitespace),
            None => false,
        };
        if !plausible {
            return Err(BadAddress(text.to_owned()));
        }
        Ok(MailboxAddress { key: address_key(text).into(), text: text.into() })
    }

    /// The address as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The form equality and hashing use (lower case).
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The domain (after the last `@`), as written.
    pub fn domain(&self) -> &str {
        self.text.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl PartialEq for MailboxAddress {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for MailboxAddress {}

impl Hash for MailboxAddress {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for MailboxAddress {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for MailboxAddress {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl FromStr for MailboxAddress {
    type Err = BadAddress;
    fn from_str(text: &str) -> Result<Self, BadAddress> {
        MailboxAddress::parse(text)
    }
}

impl TryFrom<String> for MailboxAddress {
    type Error = BadAddress;
    fn try_from(text: String) -> Result<Self, BadAddress> {
        MailboxAddress::parse(&text)
    }
}

impl From<MailboxAddress> for String {
    fn from(a: MailboxAddress) -> String {
        a.text.into()
    }
}

impl fmt::Display for MailboxAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use quickcheck::quickcheck;

    use super::*;

    #[test]
    fn addresses_compare_without_case_and_keep_their_text() {
        let a = MailboxAddress::parse(" Wang.Wei@Contoso.CN ").unwrap();
        let b: MailboxAddress = "wang.wei@contoso.cn".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "Wang.Wei@Contoso.CN");
        assert_eq!(a.domain(), "Contoso.CN");
        assert_eq!(HashSet::from([a.clone(), b]).len(), 1);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"Wang.Wei@Contoso.CN\"");
    }

    #[test]
    fn what_is_no_address_is_refused() {
        for bad in ["", "nobody", "@contoso.cn", "wang@", "wang wei@contoso.cn"] {
            assert!(MailboxAddress::parse(bad).is_err(), "{bad:?}");
        }
        assert!(serde_json::from_str::<MailboxAddress>("\"x\"").is_err());
    }

    quickcheck! {
        fn case_never_matters(local: String, upper: Vec<bool>) -> bool {
            let local: String = local.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
            if local.is_empty() { return true; }
            let mixed: String = local.chars().zip(upper.iter().chain(std::iter::repeat(&false)))
                .map(|(c, u)| if *u { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect();
            MailboxAddress::parse(&format!("{local}@x.cn")).unwrap() == MailboxAddress::parse(&format!("{mixed}@X.CN")).unwrap()
        }
    }
}
