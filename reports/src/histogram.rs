//! The one definition of a histogram's [`Distribution`] and of its lossless text form.
//!
//! The host records into HdrHistograms (three significant digits; latencies in µs, rates and
//! custom trends ×1000) and reports each as a [`Distribution`] with [`distribution`]; it also
//! writes each histogram into `summary.json` with [`encode`] (HdrHistogram's V2 format, deflate
//! compressed, base64), so `runner merge` can [`decode`] the workers' histograms, add them, and
//! compute the merged percentiles with this same [`distribution`]: a histogram recorded in one
//! process and the same samples recorded across N workers then give `==` distributions.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer as _, V2DeflateSerializer};

use crate::model::Distribution;

/// The precision the host records with: three significant digits.
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// Why a serialised histogram could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum HistogramError {
    /// The text is not base64.
    #[error("the histogram is not base64: {0}")]
    Base64(#[from] base64::DecodeError),
    /// The bytes are not an HdrHistogram V2 (deflate) serialisation.
    #[error("the histogram is not an HdrHistogram V2 serialisation: {0:?}")]
    Format(hdrhistogram::serialization::DeserializeError),
    /// Two histograms could not be added (a value beyond the other's range).
    #[error("the histograms could not be added: {0:?}")]
    Add(hdrhistogram::errors::AdditionError),
}

/// An empty auto-resizing histogram with the host's precision: what merged histograms add into.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new(SIGNIFICANT_DIGITS).expect("3 significant digits is a valid histogram precision")
}

/// A histogram's report form. Latencies are kept in µs and reported in ms; tokens/s and custom
/// trends are kept ×1000 and reported as recorded: both are ÷1000.
pub fn distribution(h: &Histogram<u64>) -> Distribution {
    let scale = 1000.0;
    if h.is_empty() {
        return Distribution::default();
    }
    let q = |p: f64| h.value_at_quantile(p) as f64 / scale;
    Distribution {
        count: h.len(),
        mean: h.mean() / scale,
        stddev: h.stdev() / scale,
        min: h.min() as f64 / scale,
        p50: q(0.50),
        p90: q(0.90),
        p95: q(0.95),
        p99: q(0.99),
        max: h.max() as f64 / scale,
    }
}

/// The histogram as text: V2 deflate serialisation, base64 (standard alphabet, padded).
pub fn encode(h: &Histogram<u64>) -> String {
    let mut bytes = Vec::new();
    // Serialising into a Vec fails only for a histogram whose counts do not fit the format's
    // 64-bit zig-zag encoding, which no recorded histogram reaches; an empty string then reads
    // back as an error in `decode`, never as wrong numbers.
    if V2DeflateSerializer::new().serialize(h, &mut bytes).is_err() {
        return String::new();
    }
    STANDARD.encode(bytes)
}

/// Reads back a histogram written by [`encode`].
pub fn decode(text: &str) -> Result<Histogram<u64>, HistogramError> {
    let bytes = STANDARD.decode(text.trim())?;
    Deserializer::new().deserialize(&mut bytes.as_slice()).map_err(HistogramError::Format)
}

/// Adds `other` into `into`, which must auto-resize ([`new_histogram`]).
pub fn add(into: &mut Histogram<u64>, other: &Histogram<u64>) -> Result<(), HistogramError> {
    into.add(other).map_err(HistogramError::Add)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_reads_back_with_the_same_distribution() {
        let mut h = new_histogram();
        for v in [1u64, 10, 100, 1_000, 10_000, 123_456, 3_600_000_000] {
            h.record(v).expect("auto-resizing");
        }
        let back = decode(&encode(&h)).expect("reads back");
        assert_eq!(distribution(&back), distribution(&h));
        assert_eq!(back.len(), 7);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(decode("not base64!"), Err(HistogramError::Base64(_))));
        assert!(matches!(decode("aGVsbG8gd29ybGQ="), Err(HistogramError::Format(_))));
        assert!(decode("").is_err());
    }
}
