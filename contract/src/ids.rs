//! Opaque ids, parsed once at the edge: [`ItemId`] (the vendor's item id, also the item's
//! `X-TELEMESSAGE-ArchiveMessageID`) and [`UserId`] (the tenant's user id).
//!
//! An item id is an opaque string: any non-empty text without control characters (contract,
//! "The item"). Spaces, `#`, `?`, `/`, `+`, `%`, quotes and non-ASCII letters are all ids; a
//! client percent-encodes an id as one path segment wherever it builds a URL of it. Control
//! characters (C0, DEL, C1: tabs, newlines, NUL) are refused, so that an id can be written on
//! one line of a log, a header or a file as it is, and `.` and `..` are refused (the URL
//! standard reads them as dot segments, however encoded); a listing entry with such an id (or an empty
//! one) is unusable and a connector reports it. A user id is the tenant's (a GUID in Graph):
//! non-empty, no whitespace, no control characters.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A string that is not a usable id: empty, or with control characters (a user id: or with
/// whitespace).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a usable {what}: {rule}")]
pub struct BadId {
    /// What was expected (`item id`, `user id`).
    pub what: &'static str,
    /// The text.
    pub text: String,
    /// What an id of this kind is.
    pub rule: &'static str,
}

/// What an item id is, in the words of [`BadId`].
const ITEM_ID_RULE: &str = "item ids are non-empty, contain no control characters and are not `.` or `..`";
/// What a user id is, in the words of [`BadId`].
const USER_ID_RULE: &str = "user ids are non-empty and contain no whitespace or control characters";

/// An item id: non-empty, no control character (see the module docs).
fn check_item(text: &str, what: &'static str) -> Result<(), BadId> {
    // `.` and `..` name no path segment: the URL standard reads them (and `%2e`, `%2E.` …) as
    // "this" and "parent" segments whatever the encoding, so no URL can download such an item.
    if text.is_empty() || text.chars().any(char::is_control) || text == "." || text == ".." {
        return Err(BadId { what, text: text.to_owned(), rule: ITEM_ID_RULE });
    }
    Ok(())
}

/// A user id: non-empty, no whitespace, no control character.
fn check_user(text: &str, what: &'static str) -> Result<(), BadId> {
    if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(BadId { what, text: text.to_owned(), rule: USER_ID_RULE });
    }
    Ok(())
}

macro_rules! id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:ident) => {
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
                $check(&text, $what)?;
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
    /// The vendor's id of an archived item (`ItemRef.id`, `X-TELEMESSAGE-ArchiveMessageID`): an
    /// opaque string, any non-empty text without control characters (see the module docs).
    ItemId,
    "item id",
    check_item
);
id!(
    /// The tenant's id of a user (`GET /users/{address}` answers it as `id`).
    UserId,
    "user id",
    check_user
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

    #[test]
    fn item_ids_are_opaque_strings_without_control_characters() {
        for id in ["a b", "a#b", "a?b", "a/b", "a+b", "50%", "王伟的消息", "Ünïcödé", " lead", "'quote\"", "a@b<c>"] {
            assert_eq!(id.parse::<ItemId>().unwrap().as_str(), id);
            let json = serde_json::to_string(&id.parse::<ItemId>().unwrap()).unwrap();
            assert_eq!(serde_json::from_str::<ItemId>(&json).unwrap(), id);
        }
        for bad in ["", "a\tb", "a\nb", "a\rb", "nul\0", "del\u{7f}", "c1\u{85}", ".", ".."] {
            let e = bad.parse::<ItemId>().unwrap_err();
            assert!(e.to_string().contains("control characters"), "{e}");
        }
        assert_eq!("...".parse::<ItemId>().unwrap().as_str(), "...");
        assert!("a b".parse::<UserId>().unwrap_err().to_string().contains("whitespace"));
    }
}
