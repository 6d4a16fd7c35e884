//! One shard of a test run on N machines (`stress run --shard I/N`): which part of the load is
//! this process's, and how its local counters map to the whole test's.
//!
//! Everything is striped, the way k6's execution segments stripe VUs, so that the union of
//! the N shards is exactly the single-process run and small counts still spread:
//!
//! - closed-model VU `u` (its global index, as `${user}` reads it) runs on shard `u mod N`;
//! - open-model arrival `k` of a test (counted over all its `rate` stages) starts on shard
//!   `k mod N`: the union of the shards' arrival instants is the single-process schedule;
//! - the shard's `c`-th call at the injection point is global call `I + c·N`, so a fault rule
//!   that names call numbers (`nth_call`, `burst`) fires on exactly one shard;
//! - `next(list)` hands shard I the rows `I, I + N, …` of each call site's round robin;
//! - `max users` and `limit R` are split: shard I gets the VUs `u < max` with `u mod N = I`
//!   and `R / N` starts per second, so the shares add up to the whole.
//!
//! `Shard::WHOLE` (0/1) is an ordinary run: every mapping is the identity.

use std::fmt;
use std::str::FromStr;

/// The largest N accepted (a typo guard; each shard is a machine or a process).
pub const MAX_SHARDS: u32 = 100_000;

/// Shard `index` of `count` (0-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard::WHOLE
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl Shard {
    /// The whole test in one process.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Shard `index` of `count`; an error message when `index ≥ count` or `count` is 0 or
    /// larger than [`MAX_SHARDS`].
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if count == 0 {
            return Err("the number of shards must be at least 1".into());
        }
        if count > MAX_SHARDS {
            return Err(format!(
                "{count} shards is more than the {MAX_SHARDS} this build accepts"
            ));
        }
        if index >= count {
            return Err(format!(
                "shard index {index} is out of range: shards of {count} are numbered 0 to {}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    pub fn is_whole(self) -> bool {
        self.count == 1
    }

    /// Whether global VU `user` (or arrival, or row) is this shard's.
    pub fn owns(self, global: u64) -> bool {
        global % u64::from(self.count) == u64::from(self.index)
    }

    /// How many of the global indexes `0..total` are this shard's.
    pub fn share(self, total: u64) -> u64 {
        let (n, i) = (u64::from(self.count), u64::from(self.index));
        total / n + u64::from(total % n > i)
    }

    /// [`Self::share`] of a `u32` count (VUs).
    pub fn share_u32(self, total: u32) -> u32 {
        // The share of a u32 is at most the u32.
        u32::try_from(self.share(u64::from(total))).unwrap_or(total)
    }

    /// The global index of this shard's `local`-th item: `I + local·N`.
    pub fn global(self, local: u64) -> u64 {
        u64::from(self.index).saturating_add(local.saturating_mul(u64::from(self.count)))
    }

    /// The local position of global index `global`, which must be this shard's.
    pub fn local(self, global: u64) -> u64 {
        global / u64::from(self.count)
    }

    /// This shard's part of a rate (`limit R`).
    pub fn rate(self, per_sec: f64) -> f64 {
        per_sec / f64::from(self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N`, e.g. `0/4`.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("`{s}` is not a shard: write INDEX/COUNT, e.g. `0/4`"))?;
        let number = |what: &str, t: &str| {
            t.trim().parse::<u32>().map_err(|_| {
                format!("`{s}` is not a shard: the {what} `{t}` is not a whole number (write INDEX/COUNT, e.g. `0/4`)")
            })
        };
        Shard::new(number("index", i)?, number("count", n)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_whole_and_globals_partition() {
        for n in 1..=7u32 {
            for total in 0..40u64 {
                let shards: Vec<Shard> = (0..n).map(|i| Shard::new(i, n).unwrap()).collect();
                let sum: u64 = shards.iter().map(|s| s.share(total)).sum();
                assert_eq!(sum, total, "n={n} total={total}");
                let mut all: Vec<u64> = shards
                    .iter()
                    .flat_map(|s| (0..s.share(total)).map(move |c| s.global(c)))
                    .collect();
                all.sort_unstable();
                assert_eq!(all, (0..total).collect::<Vec<_>>());
                for s in &shards {
                    for c in 0..s.share(total) {
                        assert!(s.owns(s.global(c)));
                        assert_eq!(s.local(s.global(c)), c);
                    }
                }
            }
        }
    }

    #[test]
    fn parses_index_over_count_and_says_what_is_wrong() {
        assert_eq!("2/4".parse::<Shard>(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!("0/1".parse::<Shard>(), Ok(Shard::WHOLE));
        let err = |s: &str| s.parse::<Shard>().unwrap_err();
        assert!(err("4/4").contains("numbered 0 to 3"), "{}", err("4/4"));
        assert!(err("0/0").contains("at least 1"));
        assert!(err("3").contains("INDEX/COUNT"));
        assert!(err("-1/4").contains("index `-1`"));
        assert!(err("1/x").contains("count `x`"));
        assert!(err("0/1000000").contains("more than"));
    }
}
