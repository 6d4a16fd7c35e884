//! The one histogram type of `stress`: an HdrHistogram of `u64` with 3 significant digits,
//! tracking values from 1 to [`MAX_TRACKABLE`] (one hour in microseconds).
//!
//! Durations are recorded in microseconds. Other quantities are stored as scaled integers:
//!
//! | quantity | stored as | scale |
//! | --- | --- | --- |
//! | durations (latency, service time, iteration or step duration) | microseconds | 1 |
//! | retries per iteration | the count | 1 ([`COUNT_SCALE`]) |
//! | cost per iteration | micro-dollars | 1e6 ([`MONEY_SCALE`]) |
//! | numeric captures | thousandths | 1e3 ([`CAPTURE_SCALE`]) |
//!
//! A scaled value that is ≤ 0 (or not a number) records as 0: negative captures are rare and
//! a histogram of unsigned integers cannot hold them. Values above the bound record as the
//! bound, so one outlier can never make recording fail.
//!
//! Memory: the histogram is allocated on the first record and grows its counts array on
//! demand (hdrhistogram's auto-resize), so an empty one costs nothing and one holding values
//! under a second is about 80 KB instead of the ~190 KB a full one-hour range takes. Bucket
//! boundaries are the same as `Histogram::new_with_bounds(1, 3_600_000_000, 3)`, so precision
//! and merging are unaffected.

/// The largest value tracked: one hour in microseconds. Larger values record as this.
pub const MAX_TRACKABLE: u64 = 3_600_000_000;
/// Significant decimal digits kept.
pub const SIGFIG: u8 = 3;
/// Scale of counts (retries): stored as is.
pub const COUNT_SCALE: f64 = 1.0;
/// Scale of money: stored in micro-dollars.
pub const MONEY_SCALE: f64 = 1e6;
/// Scale of numeric captures: stored in thousandths.
pub const CAPTURE_SCALE: f64 = 1e3;

/// An HdrHistogram of non-negative integers, empty until the first record.
#[derive(Clone, Debug, Default)]
pub struct Histogram {
    inner: Option<hdrhistogram::Histogram<u64>>,
}

impl Histogram {
    pub fn new() -> Self {
        Self::default()
    }

    fn inner_mut(&mut self) -> Option<&mut hdrhistogram::Histogram<u64>> {
        if self.inner.is_none() {
            // Only fails for a sigfig outside 0..=5, which SIGFIG is not.
            self.inner = hdrhistogram::Histogram::new(SIGFIG).ok();
        }
        self.inner.as_mut()
    }

    /// Records one value (microseconds, or an already scaled integer), clamped to
    /// [`MAX_TRACKABLE`].
    pub fn record(&mut self, value: u64) {
        let value = value.min(MAX_TRACKABLE);
        if let Some(h) = self.inner_mut() {
            if h.record(value).is_err() {
                h.saturating_record(value);
            }
        }
    }

    /// Records `value * scale` rounded; ≤ 0 or NaN records as 0.
    pub fn record_scaled(&mut self, value: f64, scale: f64) {
        let scaled = (value * scale).round();
        let stored = if scaled.is_nan() || scaled <= 0.0 {
            0
        } else if scaled >= MAX_TRACKABLE as f64 {
            MAX_TRACKABLE
        } else {
            scaled as u64
        };
        self.record(stored);
    }

    /// Adds every value of `other` to this one.
    pub fn merge(&mut self, other: &Histogram) {
        let Some(src) = &other.inner else { return };
        if src.is_empty() {
            return;
        }
        match &mut self.inner {
            None => self.inner = Some(src.clone()),
            Some(h) => {
                if h.add(src).is_err() {
                    // Cannot happen with auto-resize on; fall back to value-by-value.
                    for v in src.iter_recorded() {
                        h.saturating_record_n(v.value_iterated_to(), v.count_at_value());
                    }
                }
            }
        }
    }

    /// Number of recorded values.
    pub fn count(&self) -> u64 {
        self.inner.as_ref().map_or(0, |h| h.len())
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    fn nonempty(&self) -> Option<&hdrhistogram::Histogram<u64>> {
        self.inner.as_ref().filter(|h| !h.is_empty())
    }

    /// The value at quantile `q` (0..=1; p999 is 0.999), `None` when empty: the middle of
    /// the histogram bucket holding the sample at that rank, so within half a unit of the
    /// third significant digit of the true value (HdrHistogram's own `value_at_quantile`
    /// gives the bucket's top, which shows `80ms` as `80.06ms`).
    pub fn percentile(&self, q: f64) -> Option<u64> {
        self.nonempty()
            .map(|h| h.median_equivalent(h.value_at_quantile(q.clamp(0.0, 1.0))))
    }

    /// How many recorded values fall in each bucket bounded above by `edges` (ascending): bucket
    /// `i` counts values in `(edges[i-1], edges[i]]` (the first from 0), and one more bucket
    /// at the end counts values above the last edge. Values are taken at the histogram's
    /// precision (see [`Histogram::percentile`]). For the live view's bar chart.
    pub fn counts_up_to(&self, edges: &[u64]) -> Vec<u64> {
        let mut counts = vec![0; edges.len() + 1];
        if let Some(h) = self.nonempty() {
            for v in h.iter_recorded() {
                let value = h.median_equivalent(v.value_iterated_to());
                let i = edges.partition_point(|&edge| edge < value);
                counts[i] += v.count_at_value();
            }
        }
        counts
    }

    /// The smallest value, to the histogram's precision (see [`Histogram::percentile`]).
    pub fn min(&self) -> Option<u64> {
        self.nonempty().map(|h| h.median_equivalent(h.min()))
    }

    /// The largest value, to the histogram's precision (see [`Histogram::percentile`]).
    pub fn max(&self) -> Option<u64> {
        self.nonempty().map(|h| h.median_equivalent(h.max()))
    }

    pub fn mean(&self) -> Option<f64> {
        self.nonempty().map(|h| h.mean())
    }

    /// Percentile divided back by a scale (`MONEY_SCALE` for dollars, …).
    pub fn percentile_scaled(&self, q: f64, scale: f64) -> Option<f64> {
        self.percentile(q).map(|v| v as f64 / scale)
    }

    /// The underlying HdrHistogram when anything was recorded (for the interval log writer).
    pub(super) fn hdr(&self) -> Option<&hdrhistogram::Histogram<u64>> {
        self.nonempty()
    }

    /// HdrHistogram's V2 compressed encoding ("V2 deflate", what the Java implementation and
    /// interval logs use), in base64; `None` when empty.
    pub fn to_v2_base64(&self) -> Option<String> {
        let h = self.nonempty()?;
        let mut bytes = Vec::new();
        // Serializing to a Vec only fails for a histogram too large for the format's i32
        // lengths, which a 1-hour, 3-digit histogram is not.
        hdrhistogram::serialization::Serializer::serialize(
            &mut hdrhistogram::serialization::V2DeflateSerializer::new(),
            h,
            &mut bytes,
        )
        .ok()?;
        Some(base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            &bytes,
        ))
    }

    /// Decodes [`Histogram::to_v2_base64`] (or any V2 / V2 deflate histogram in base64, such as
    /// one line of an interval log). The result merges exactly with histograms recorded here:
    /// it keeps the encoded bucket layout and grows on demand like a recorded one.
    pub fn from_v2_base64(text: &str) -> Result<Histogram, String> {
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text)
            .map_err(|_| "not base64")?;
        let mut h: hdrhistogram::Histogram<u64> = hdrhistogram::serialization::Deserializer::new()
            .deserialize(&mut bytes.as_slice())
            .map_err(|e| format!("not an HdrHistogram: {e:?}"))?;
        if h.low() != 1 || h.sigfig() != SIGFIG {
            return Err(format!(
                "an HdrHistogram with lowest value {} and {} significant digits; stress uses 1 and {SIGFIG}",
                h.low(),
                h.sigfig()
            ));
        }
        h.auto(true);
        Ok(Histogram { inner: Some(h) })
    }
}

/// Serialized as [`Histogram::to_v2_base64`], `null` when empty.
impl serde::Serialize for Histogram {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.to_v2_base64() {
            Some(text) => s.serialize_str(&text),
            None => s.serialize_none(),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Histogram {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match <Option<String> as serde::Deserialize>::deserialize(d)? {
            None => Ok(Histogram::new()),
            Some(text) => Histogram::from_v2_base64(&text).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Histogram {
        let mut h = Histogram::new();
        for _ in 0..50 {
            h.record(300_000);
        }
        for _ in 0..50 {
            h.record(3_000_000);
        }
        h
    }

    /// Same value to 3 significant digits.
    #[track_caller]
    fn assert_3_digits(actual: u64, expected: u64) {
        let rel = (actual as f64 - expected as f64).abs() / expected as f64;
        assert!(
            rel < 1e-3,
            "{actual} is not {expected} to 3 significant digits"
        );
    }

    #[test]
    fn percentiles_of_a_two_mode_sample() {
        let h = sample();
        assert_eq!(h.count(), 100);
        assert_3_digits(h.percentile(0.5).unwrap(), 300_000);
        assert_3_digits(h.percentile(0.95).unwrap(), 3_000_000);
        assert_3_digits(h.max().unwrap(), 3_000_000);
        assert_3_digits(h.min().unwrap(), 300_000);
        assert_3_digits(h.mean().unwrap().round() as u64, 1_650_000);
    }

    #[test]
    fn empty_histogram_has_no_statistics() {
        let h = Histogram::new();
        assert!(h.is_empty());
        assert_eq!(h.percentile(0.95), None);
        assert_eq!(h.max(), None);
        assert_eq!(h.mean(), None);
    }

    #[test]
    fn counts_up_to_edges_put_each_value_in_one_bucket() {
        let mut h = Histogram::new();
        for v in [500, 1_000, 1_500, 2_000, 40_000, 9_000_000] {
            h.record(v);
        }
        // ≤1ms, ≤2ms, ≤50ms, above.
        assert_eq!(
            h.counts_up_to(&[1_000, 2_000, 50_000]),
            vec![2, 2, 1, 1],
            "each value counted once, edges inclusive"
        );
        assert_eq!(Histogram::new().counts_up_to(&[10]), vec![0, 0]);
    }

    #[test]
    fn merge_of_two_halves_equals_the_whole() {
        let whole = sample();
        let (mut a, mut b) = (Histogram::new(), Histogram::new());
        for i in 0..100u64 {
            let v = if i % 2 == 0 { 300_000 } else { 3_000_000 };
            if i < 37 { a.record(v) } else { b.record(v) }
        }
        a.merge(&b);
        assert_eq!(a.count(), whole.count());
        for q in [0.0, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            assert_eq!(a.percentile(q), whole.percentile(q), "q={q}");
        }
        let mut empty = Histogram::new();
        empty.merge(&whole);
        assert_eq!(empty.percentile(0.95), whole.percentile(0.95));
    }

    #[test]
    fn out_of_range_values_are_clamped_not_lost() {
        let mut h = Histogram::new();
        h.record(u64::MAX);
        h.record_scaled(-2.0, CAPTURE_SCALE);
        h.record_scaled(f64::NAN, CAPTURE_SCALE);
        assert_eq!(h.count(), 3);
        assert_eq!(h.min(), Some(0));
        assert_3_digits(h.max().unwrap(), MAX_TRACKABLE);
    }

    #[test]
    fn v2_base64_round_trips_exactly_and_merges_like_the_original() {
        let mut h = sample();
        h.record(7);
        h.record(MAX_TRACKABLE);
        let text = h.to_v2_base64().unwrap();
        let back = Histogram::from_v2_base64(&text).unwrap();
        assert_eq!(back.count(), h.count());
        for q in [0.0, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            assert_eq!(back.percentile(q), h.percentile(q), "q={q}");
        }
        // A decoded small histogram still grows when merged with a wider one.
        let mut small = Histogram::new();
        small.record(5);
        let mut small = Histogram::from_v2_base64(&small.to_v2_base64().unwrap()).unwrap();
        small.merge(&h);
        small.record(2 * MAX_TRACKABLE);
        assert_eq!(small.count(), h.count() + 2);
        assert_eq!(small.max(), h.max());
        let json = serde_json::to_string(&(Histogram::new(), h.clone())).unwrap();
        let (empty, full): (Histogram, Histogram) = serde_json::from_str(&json).unwrap();
        assert!(empty.is_empty());
        assert_eq!(full.percentile(0.95), h.percentile(0.95));
        assert!(Histogram::from_v2_base64("bm90IGEgaGlzdG9ncmFt").is_err());
    }

    #[test]
    fn money_is_stored_in_micro_dollars() {
        let mut h = Histogram::new();
        h.record_scaled(0.0023, MONEY_SCALE);
        let p = h.percentile_scaled(0.5, MONEY_SCALE).unwrap();
        assert!((p - 0.0023).abs() < 0.0023e-3, "{p}");
    }
}
