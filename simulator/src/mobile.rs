//! Mobile numbers as scenario authors write them, normalised to E.164.
//!
//! The simulator needs only a small, strict normaliser: Chinese mobiles (`1[3-9]` and 11 digits,
//! with or without `+86`/`0086`/`86`) and numbers already written with a `+` country code.
//! (The connector does full normalisation with `phonenumber`; the two are deliberately independent.)

/// E.164 form of a mobile written as people write it, or `None` when it is not one.
pub fn normalise_mobile(text: &str) -> Option<String> {
    let trimmed = text.trim();
    let plus = trimmed.starts_with('+');
    let mut digits = String::new();
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            '+' if i == 0 => {}
            _ => return None,
        }
    }
    let national = if plus {
        if let Some(rest) = digits.strip_prefix("86") {
            rest.to_string()
        } else {
            // Another country: accept E.164 shape (country code not starting with 0, 8-15 digits).
            let ok = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
            return ok.then(|| format!("+{digits}"));
        }
    } else if let Some(rest) = digits.strip_prefix("0086") {
        rest.to_string()
    } else if digits.len() == 13 && digits.starts_with("86") {
        digits[2..].to_string()
    } else {
        digits
    };
    let b = national.as_bytes();
    let cn_mobile = b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]);
    cn_mobile.then(|| format!("+86{national}"))
}

#[cfg(test)]
mod tests {
    use super::normalise_mobile;

    #[test]
    fn the_usual_writings_of_a_chinese_mobile_agree() {
        for w in ["+86 138 1234 5678", "8613812345678", "138-1234-5678", "008613812345678", "13812345678", "(138) 1234 5678"] {
            assert_eq!(normalise_mobile(w).as_deref(), Some("+8613812345678"), "{w}");
        }
    }

    #[test]
    fn landlines_short_numbers_and_letters_are_refused() {
        for w in ["12345", "02112345678", "12812345678", "138123456789", "138-1234-567x", "", "+0123456789"] {
            assert_eq!(normalise_mobile(w), None, "{w}");
        }
    }

    #[test]
    fn other_countries_keep_their_e164_form() {
        assert_eq!(normalise_mobile("+44 7700 900123").as_deref(), Some("+447700900123"));
    }
}

#[cfg(test)]
mod properties {
    use quickcheck::{Arbitrary, Gen, quickcheck};

    use super::normalise_mobile;

    /// A Chinese mobile written some way people write it.
    #[derive(Debug, Clone)]
    struct Written {
        digits: String,
        text: String,
    }

    impl Arbitrary for Written {
        fn arbitrary(g: &mut Gen) -> Self {
            let second = *g.choose(b"3456789").unwrap() as char;
            let rest: String = (0..9).map(|_| *g.choose(b"0123456789").unwrap() as char).collect();
            let digits = format!("1{second}{rest}");
            let prefix = *g.choose(&["", "+86", "+86 ", "0086", "86", "+86-"]).unwrap();
            let sep = *g.choose(&["", " ", "-", "."]).unwrap();
            let text = format!("{prefix}{}{sep}{}{sep}{}", &digits[..3], &digits[3..7], &digits[7..]);
            Written { digits, text }
        }
    }

    quickcheck! {
        fn every_writing_of_a_cn_mobile_normalises_to_its_e164(w: Written) -> bool {
            normalise_mobile(&w.text) == Some(format!("+86{}", w.digits))
        }

        fn normalised_numbers_are_fixed_points(w: Written) -> bool {
            let once = normalise_mobile(&w.text).unwrap();
            normalise_mobile(&once).as_deref() == Some(once.as_str())
        }
    }
}
