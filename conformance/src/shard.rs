//! `run --shard K/N`: one of N stable, balanced parts of the scenarios, so that a CI matrix spreads
//! the suite over N runners and `merge` joins their reports into the whole run's.
//!
//! The scenarios selected (after every other filter: `--scenario`, and any later one) are sorted
//! by name and dealt round-robin: the i-th name (from 0) goes to shard `i mod N + 1`. So:
//!
//! - every scenario is in exactly one shard, for any N (the shards partition the selection);
//! - the same selection always gives the same shards, on every machine (names only, no hash
//!   seed, no timing);
//! - shards differ in size by one scenario at most.
//!
//! The price: adding a scenario moves the names sorted after it to the next shard. A hash of the
//! name modulo N would move none, but leaves shards as uneven as chance makes them (with 31
//! scenarios over 4 shards, often 5 against 11). A CI run only needs each run's shards to
//! partition that run's scenarios, which both give; balance is what shortens it.

use std::fmt;
use std::str::FromStr;

/// One shard: the K-th (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// K, 1 ≤ K ≤ N.
    pub index: usize,
    /// N, ≥ 1.
    pub total: usize,
}

/// A `K/N` that names no shard.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not a shard: expected K/N with 1 ≤ K ≤ N (e.g. 1/4), {why}")]
pub struct ShardError {
    /// What was given.
    pub given: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let error = |why| ShardError { given: s.to_string(), why };
        let (k, n) = s.split_once('/').ok_or_else(|| error("no `/`"))?;
        let number = |t: &str| t.trim().parse::<usize>().map_err(|_| error("K and N must be whole numbers"));
        let (index, total) = (number(k)?, number(n)?);
        if total == 0 {
            return Err(error("N must be at least 1"));
        }
        if index == 0 || index > total {
            return Err(error("K must be between 1 and N"));
        }
        Ok(Shard { index, total })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

impl Shard {
    /// Whether this shard holds the name at `position` (from 0) of the sorted selection.
    fn holds(self, position: usize) -> bool {
        position % self.total + 1 == self.index
    }

    /// The names of `selection` in this shard, in the order given (a name given twice counts
    /// once for the dealing, and is kept as often as given).
    pub fn select(self, selection: &[String]) -> Vec<String> {
        let mut sorted: Vec<&String> = selection.iter().collect();
        sorted.sort();
        sorted.dedup();
        selection.iter().filter(|name| sorted.binary_search(name).is_ok_and(|position| self.holds(position))).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use quickcheck::{TestResult, quickcheck};

    use super::*;

    fn shards(total: usize) -> impl Iterator<Item = Shard> {
        (1..=total).map(move |index| Shard { index, total })
    }

    quickcheck! {
        /// For any N, every name is in exactly one shard.
        fn every_scenario_is_in_exactly_one_shard(names: Vec<String>, n: u8) -> TestResult {
            let total = usize::from(n % 40) + 1;
            let picked: Vec<Vec<String>> = shards(total).map(|s| s.select(&names)).collect();
            let all = names.iter().all(|name| picked.iter().filter(|p| p.contains(name)).count() == 1);
            TestResult::from_bool(all)
        }

        /// A shard depends on the set of names only: not on their order.
        fn shards_are_stable(names: Vec<String>, n: u8, k: u8) -> bool {
            let total = usize::from(n % 10) + 1;
            let shard = Shard { index: usize::from(k) % total + 1, total };
            let mut reversed = names.clone();
            reversed.reverse();
            let mut a = shard.select(&names);
            let mut b = shard.select(&reversed);
            a.sort();
            b.sort();
            a == b
        }

        /// Shards differ in size by one at most.
        fn shards_are_balanced(names: Vec<String>, n: u8) -> bool {
            let total = usize::from(n % 10) + 1;
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            let sizes: Vec<usize> = shards(total).map(|s| s.select(&unique).len()).collect();
            sizes.iter().max().unwrap_or(&0) - sizes.iter().min().unwrap_or(&0) <= 1
        }
    }

    #[test]
    fn a_shard_is_dealt_round_robin_over_the_sorted_names() {
        let names: Vec<String> = ["e", "a", "d", "b", "c"].map(String::from).to_vec();
        assert_eq!(Shard::from_str("1/2").unwrap().select(&names), ["e", "a", "c"]);
        assert_eq!(Shard::from_str("2/2").unwrap().select(&names), ["d", "b"]);
        assert!(Shard::from_str("7/7").unwrap().select(&names).is_empty());
    }

    #[test]
    fn k_over_n_is_validated() {
        assert_eq!(Shard::from_str("2/3"), Ok(Shard { index: 2, total: 3 }));
        assert_eq!(Shard::from_str("1/1").map(|s| s.to_string()), Ok("1/1".to_string()));
        for bad in ["0/2", "3/2", "1/0", "2", "a/b", "-1/2", ""] {
            let e = Shard::from_str(bad).unwrap_err();
            assert!(e.to_string().contains(&format!("`{bad}` is not a shard")), "{e}");
        }
    }
}
