//! What the `fake` crate draws well, always from the scenario's ChaCha8 stream (never its own
//! thread RNG), so that the same scenario and seed give the same bytes: English first names of
//! foreign contacts, foreign company names and their mail domains, English chat phrases, link
//! previews, street addresses of shared locations abroad, English file names.
//!
//! What `fake` cannot do well stays ours (`corpus.rs`, `people.rs`): Chinese names with the
//! pinyin their mailboxes are made of, CN mobiles (its zh_CN locale has none) and Chinese chat
//! lines (its zh_CN lorem is random characters, not sentences anyone would send).

use fake::Fake;
use fake::faker::address::en::{BuildingNumber, CityName, Latitude, Longitude, StreetName};
use fake::faker::company::en::{BsNoun, BsVerb, Buzzword, CatchPhrase, CompanyName};
use fake::faker::name::en::FirstName;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// An English first name (for foreign contacts who use one).
pub fn first_name(rng: &mut ChaCha8Rng) -> String {
    FirstName().fake_with_rng(rng)
}

/// A foreign company and its mail domain (under `.example`, reserved: never a real domain).
pub fn company(rng: &mut ChaCha8Rng) -> (String, String) {
    let name: String = CompanyName().fake_with_rng(rng);
    let domain = format!("{}.example", slug(&name));
    (name, domain)
}

/// An English chat line.
pub fn english_chat(rng: &mut ChaCha8Rng) -> String {
    let noun: String = BsNoun().fake_with_rng(rng);
    let verb: String = BsVerb().fake_with_rng(rng);
    let buzz: String = Buzzword().fake_with_rng(rng);
    const DAYS: [&str; 5] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];
    let day = DAYS[rng.random_range(0..DAYS.len())];
    match rng.random_range(0..6) {
        0 => format!("Can you send me the {noun} deck before {day}?"),
        1 => format!("We need to {verb} the {noun} this week."),
        2 => format!("Quick sync on the {buzz} {noun} at 3pm?"),
        3 => format!("Client wants to {verb} {noun}, let's discuss {day}."),
        4 => format!("Noted, I'll follow up on the {noun}."),
        _ => format!("{} 👍", CatchPhrase().fake_with_rng::<String, _>(rng)),
    }
}

/// A link preview: (title, URL under `.example`).
pub fn link(rng: &mut ChaCha8Rng) -> (String, String) {
    let title: String = CatchPhrase().fake_with_rng(rng);
    let (_, domain) = company(rng);
    (title.clone(), format!("https://news.{domain}/{}", slug(&title)))
}

/// A shared location abroad: (name, street address, latitude, longitude).
pub fn place(rng: &mut ChaCha8Rng) -> (String, String, f64, f64) {
    let (company, _) = company(rng);
    let number: String = BuildingNumber().fake_with_rng(rng);
    let street: String = StreetName().fake_with_rng(rng);
    let city: String = CityName().fake_with_rng(rng);
    let lat: f64 = Latitude().fake_with_rng(rng);
    // fake 4.3's `Longitude` draws from [-180, 360): wrapped onto the globe.
    let lon: f64 = Longitude().fake_with_rng(rng);
    let lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
    (format!("{company} office"), format!("{number} {street}, {city}"), lat, lon)
}

/// An English file name without its extension (`Seamless Deliverables Review`).
pub fn file_base(rng: &mut ChaCha8Rng) -> String {
    let buzz: String = Buzzword().fake_with_rng(rng);
    let noun: String = BsNoun().fake_with_rng(rng);
    const WHAT: [&str; 5] = ["Review", "Memo", "Minutes", "Plan", "Proposal"];
    let what = WHAT[rng.random_range(0..WHAT.len())];
    title_case(&format!("{buzz} {noun} {what}"))
}

/// Lower-case ASCII letters and digits, words joined by `-`.
fn slug(text: &str) -> String {
    let words: Vec<String> =
        text.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(|w| w.to_ascii_lowercase()).collect();
    if words.is_empty() { "company".to_string() } else { words.join("-") }
}

fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|w| {
            let mut c = w.chars();
            c.next().map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use quickcheck::quickcheck;
    use rand::SeedableRng;

    use super::*;

    quickcheck! {
        fn the_same_seed_draws_the_same_values(seed: u64) -> bool {
            let draw = |seed| {
                let mut r = ChaCha8Rng::seed_from_u64(seed);
                (first_name(&mut r), company(&mut r), english_chat(&mut r), link(&mut r), place(&mut r), file_base(&mut r))
            };
            draw(seed) == draw(seed)
        }

        fn domains_and_urls_are_ascii_and_never_real(seed: u64) -> bool {
            let mut r = ChaCha8Rng::seed_from_u64(seed);
            let (_, domain) = company(&mut r);
            let (_, url) = link(&mut r);
            domain.ends_with(".example") && domain.is_ascii() && !domain.contains(' ')
                && url.starts_with("https://news.") && url.is_ascii() && !url.contains(' ')
        }
    }

    #[test]
    fn places_are_on_the_globe() {
        let mut r = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..100 {
            let (_, address, lat, lon) = place(&mut r);
            assert!((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon), "{lat},{lon}");
            assert!(address.contains(", "), "{address}");
        }
    }
}
