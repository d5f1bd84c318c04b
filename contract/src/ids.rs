//! Opaque ids, parsed once at the edge: [`ItemId`] (the vendor's item id, also the item's
//! `X-TELEMESSAGE-ArchiveMessageID`) and [`UserId`] (the tenant's user id).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A string that is not a usable id: empty, or with whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a usable {what}: ids are non-empty and contain no whitespace or control characters")]
pub struct BadId {
    /// What was expected (`item id`, `user id`).
    pub what: &'static str,
    /// The text.
    pub text: String,
}

fn check(text: &str, what: &'static str) -> Result<(), BadId> {
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(BadId { what, text: text.to_owned() });
    }
    Ok(())
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The id's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = BadId;
            fn try_from(text: String) -> Result<Self, BadId> {
                check(&text, $what)?;
                Ok($name(text))
            }
        }

        impl FromStr for $name {
            type Err = BadId;
            fn from_str(text: &str) -> Result<Self, BadId> {
                $name::try_from(text.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id!(
    /// The vendor's id of an archived item (`ItemRef.id`, `X-TELEMESSAGE-ArchiveMessageID`).
    ItemId,
    "item id"
);
id!(
    /// The tenant's id of a user (`GET /users/{address}` answers it as `id`).
    UserId,
    "user id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_parsed_at_the_edge() {
        assert_eq!("tm-2026-000001".parse::<ItemId>().unwrap().as_str(), "tm-2026-000001");
        assert!("".parse::<ItemId>().is_err());
        assert!("a b".parse::<UserId>().is_err());
        let e = serde_json::from_str::<ItemId>("\"\"").unwrap_err().to_string();
        assert!(e.contains("item id"), "{e}");
        assert_eq!(serde_json::to_string(&"u-1".parse::<UserId>().unwrap()).unwrap(), "\"u-1\"");
    }
}
