//! [`MobileNumber`]: a phone number parsed from whatever people write, held in E.164.
//!
//! Both sides of a mapping lookup go through here: the numbers in the mapping CSV
//! (`+86 138 1234 5678`, `8613812345678`, `138-1234-5678`, `0086 138 1234 5678`) and the
//! mobile at the end of a participant's display name (`王伟 +8613812345678`). Parsing at the edge
//! means the rest of the connector compares canonical E.164 strings only.

use std::fmt;
use std::str::FromStr;

use phonenumber::country;

/// The most display-name numbers remembered per thread (about 2 MB at most); the memo starts
/// afresh when full.
const DISPLAY_NAME_MEMO_ENTRIES: usize = 16_384;

thread_local! {
    /// `+…` token → what [`MobileNumber::parse`] made of it.
    static DISPLAY_NAME_NUMBERS: std::cell::RefCell<std::collections::HashMap<Box<str>, Option<MobileNumber>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// A phone number in canonical E.164 form (`+8613812345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MobileNumber(String);

/// Why a string is not a usable phone number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileError {
    /// The text is not a phone number at all.
    #[error("`{0}` is not a phone number")]
    Unparseable(String),
    /// The text parses, but no numbering plan has such a number.
    #[error("`{0}` is not a valid phone number")]
    Invalid(String),
}

/// A default region (ISO 3166-1 alpha-2, e.g. `CN`) for numbers written without a country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(country::Id);

impl Region {
    /// China, the contract's default region.
    pub const CN: Region = Region(country::Id::CN);
}

impl Default for Region {
    fn default() -> Self {
        Region::CN
    }
}

impl FromStr for Region {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        country::Id::from_str(&upper).map(Region).map_err(|_| format!("`{s}` is not an ISO 3166-1 alpha-2 region code"))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_ref())
    }
}

impl MobileNumber {
    /// Parses a number as people write it. Numbers without an international prefix are read in
    /// `region`; a bare `86…` that is valid as a Chinese number with its country code is accepted
    /// too (libphonenumber's rule), as is the `00` international prefix (`0086…`).
    pub fn parse(text: &str, region: Region) -> Result<MobileNumber, MobileError> {
        let trimmed = text.trim();
        if trimmed.is_empty() || !trimmed.chars().any(|c| c.is_ascii_digit()) {
            return Err(MobileError::Unparseable(text.to_owned()));
        }
        // A number written with `+` carries its country code; the default region must not be
        // applied (phonenumber 0.3 would strip the region's national prefix from it, turning
        // `+86 138…` read in `US` into `+86 38…`).
        let international = trimmed.trim_start_matches(['(', ' ']).starts_with('+');
        let region = if international { None } else { Some(region.0) };
        let parsed = phonenumber::parse(region, trimmed).map_err(|_| MobileError::Unparseable(text.to_owned()))?;
        if !phonenumber::is_valid(&parsed) {
            return Err(MobileError::Invalid(text.to_owned()));
        }
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        Ok(MobileNumber(e164))
    }

    /// Extracts the mobile from a participant display name of the shape `<name> <E.164 mobile>`.
    ///
    /// Only a trailing token that starts with `+` and is a valid number counts: a name that merely
    /// contains digits is not a mobile.
    pub fn from_display_name(display_name: &str) -> Option<MobileNumber> {
        let last = display_name.split_whitespace().last()?;
        let digits = last.strip_prefix('+')?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // The region is irrelevant for a number with a leading `+`. Parsing is costly (regexes
        // looked up by pattern) and the same people appear on item after item: memoised.
        DISPLAY_NAME_NUMBERS.with_borrow_mut(|memo| {
            if let Some(known) = memo.get(last) {
                return known.clone();
            }
            if memo.len() >= DISPLAY_NAME_MEMO_ENTRIES {
                memo.clear();
            }
            let parsed = MobileNumber::parse(last, Region::CN).ok();
            memo.insert(last.into(), parsed.clone());
            parsed
        })
    }

    /// The canonical E.164 text (`+8613812345678`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn(text: &str) -> Result<MobileNumber, MobileError> {
        MobileNumber::parse(text, Region::CN)
    }

    #[test]
    fn every_way_people_write_a_chinese_mobile_gives_the_same_e164() {
        let expected = "+8613812345678";
        for text in [
            "+86 138 1234 5678",
            "+8613812345678",
            "8613812345678",
            "138-1234-5678",
            "13812345678",
            "0086 138 1234 5678",
            "008613812345678",
            "  +86-138-1234-5678  ",
            "(+86) 138 1234 5678",
        ] {
            assert_eq!(cn(text).map(|m| m.to_string()).as_deref(), Ok(expected), "{text}");
        }
    }

    #[test]
    fn a_number_with_a_country_code_ignores_the_default_region() {
        let us: Region = "us".parse().unwrap();
        assert_eq!(MobileNumber::parse("+86 138 1234 5678", us).unwrap().as_str(), "+8613812345678");
        assert_eq!(MobileNumber::parse("(201) 555-0123", us).unwrap().as_str(), "+12015550123");
    }

    #[test]
    fn garbage_is_not_a_number() {
        assert!(matches!(cn("not a number"), Err(MobileError::Unparseable(_))));
        assert!(cn("").is_err());
        assert!(cn("12").is_err());
        assert!(cn("+86 1").is_err());
    }

    #[test]
    fn the_mobile_is_the_last_token_of_a_display_name() {
        assert_eq!(MobileNumber::from_display_name("王伟 +8613812345678").map(|m| m.to_string()), Some("+8613812345678".to_owned()));
        assert_eq!(MobileNumber::from_display_name("王伟"), None);
        assert_eq!(MobileNumber::from_display_name("Agent 007"), None);
        assert_eq!(MobileNumber::from_display_name("+8613812345678 王伟"), None);
        assert_eq!(MobileNumber::from_display_name("王伟 +86abc"), None);
        assert_eq!(MobileNumber::from_display_name(""), None);
    }

    #[test]
    fn region_codes_parse_case_insensitively() {
        assert_eq!("cn".parse::<Region>(), Ok(Region::CN));
        assert!("XX-nope".parse::<Region>().is_err());
        assert_eq!(Region::CN.to_string(), "CN");
    }
}
