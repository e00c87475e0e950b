//! Token lengths drawn from a distribution, written as a parameter value: a fixed `256`, a
//! uniform range `128..512` (both ends included), a bounded normal `normal(256,64)` or
//! `normal(256,64,128..512)`, or `dataset:NAME` (the lengths a dataset's rows hold, drawn by row).
//! Draws are a pure function of a seed (SplitMix64 mixing, Box–Muller for the normal), so every
//! SDK draws the same length for the same seed.

use crate::seed::mix;

/// How a length is chosen.
#[derive(Debug, Clone, PartialEq)]
pub enum Lengths {
    /// Always this many tokens.
    Fixed(u32),
    /// Uniformly from `lo` to `hi`, both included.
    Uniform {
        /// The shortest.
        lo: u32,
        /// The longest.
        hi: u32,
    },
    /// A normal distribution rounded to whole tokens and clamped to `lo..=hi` (by default
    /// `1..=mean + 6·sd`).
    Normal {
        /// The mean.
        mean: f64,
        /// The standard deviation.
        sd: f64,
        /// The shortest (at least 1).
        lo: u32,
        /// The longest.
        hi: u32,
    },
    /// The lengths a dataset's rows hold (read by the SDK through the host); a row is drawn with
    /// [`Lengths::row`].
    Dataset(String),
}

/// Why a length spec does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} (write 256, 128..512, normal(256,64), normal(256,64,128..512) or dataset:NAME)")]
pub struct LengthsError(String);

fn count(text: &str) -> Result<u32, LengthsError> {
    text.trim().parse().map_err(|_| LengthsError(format!("{:?} is not a token count", text.trim())))
}

fn range(text: &str) -> Result<(u32, u32), LengthsError> {
    let (lo, hi) =
        text.split_once("..").ok_or_else(|| LengthsError(format!("{text:?} is not a range LO..HI")))?;
    let (lo, hi) = (count(lo)?, count(hi)?);
    if lo > hi {
        return Err(LengthsError(format!("the range {lo}..{hi} is empty")));
    }
    Ok((lo, hi))
}

impl Lengths {
    /// Parses a spec; blanks around it are ignored.
    pub fn parse(text: &str) -> Result<Self, LengthsError> {
        let t = text.trim();
        if let Some(name) = t.strip_prefix("dataset:") {
            let name = name.trim();
            if name.is_empty() {
                return Err(LengthsError("dataset: needs a dataset name".into()));
            }
            return Ok(Lengths::Dataset(name.into()));
        }
        if let Some(args) = t.strip_prefix("normal(").and_then(|a| a.strip_suffix(')')) {
            let parts: Vec<&str> = args.splitn(3, ',').collect();
            let number = |s: &str| -> Result<f64, LengthsError> {
                s.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| LengthsError(format!("{:?} is not a non-negative number", s.trim())))
            };
            let (mean, sd) = match parts.as_slice() {
                [mean, sd] | [mean, sd, _] => (number(mean)?, number(sd)?),
                _ => return Err(LengthsError(format!("{t:?} needs a mean and a standard deviation"))),
            };
            let (lo, hi) = match parts.get(2) {
                Some(r) => range(r)?,
                None => (1, (mean + 6.0 * sd).ceil().min(f64::from(u32::MAX)) as u32),
            };
            return Ok(Lengths::Normal { mean, sd, lo: lo.max(1), hi: hi.max(1) });
        }
        if t.contains("..") {
            let (lo, hi) = range(t)?;
            return Ok(Lengths::Uniform { lo, hi });
        }
        Ok(Lengths::Fixed(count(t)?))
    }

    /// The length for `seed` (`None` for [`Lengths::Dataset`], which needs the dataset).
    pub fn draw(&self, seed: u64) -> Option<u32> {
        match *self {
            Lengths::Fixed(n) => Some(n),
            Lengths::Uniform { lo, hi } => {
                let span = u64::from(hi - lo) + 1;
                Some(lo + (mix(seed) % span) as u32)
            }
            Lengths::Normal { mean, sd, lo, hi } => {
                // Two independent uniforms from the seed, 53 bits each; u1 in (0, 1] so ln is finite.
                let u1 = ((mix(seed) >> 11) + 1) as f64 / (1u64 << 53) as f64;
                let u2 = (mix(seed ^ 0x6A09_E667_F3BC_C909) >> 11) as f64 / (1u64 << 53) as f64;
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let v = (mean + sd * z).round().clamp(f64::from(lo), f64::from(hi));
                Some(v as u32)
            }
            Lengths::Dataset(_) => None,
        }
    }

    /// The row of a dataset of `rows` rows that `seed` draws (for [`Lengths::Dataset`]).
    pub fn row(seed: u64, rows: u64) -> u64 {
        if rows == 0 { 0 } else { mix(seed) % rows }
    }
}

impl std::str::FromStr for Lengths {
    type Err = LengthsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Lengths::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_parses() {
        assert_eq!(Lengths::parse(" 256 "), Ok(Lengths::Fixed(256)));
        assert_eq!(Lengths::parse("128..512"), Ok(Lengths::Uniform { lo: 128, hi: 512 }));
        assert_eq!(
            Lengths::parse("normal(256,64)"),
            Ok(Lengths::Normal { mean: 256.0, sd: 64.0, lo: 1, hi: 640 })
        );
        assert_eq!(
            Lengths::parse("normal(256, 64, 128..300)"),
            Ok(Lengths::Normal { mean: 256.0, sd: 64.0, lo: 128, hi: 300 })
        );
        assert_eq!(Lengths::parse("dataset:sharegpt"), Ok(Lengths::Dataset("sharegpt".into())));
        for bad in ["", "-1", "512..128", "normal(1)", "normal(a,b)", "dataset:", "1..x"] {
            assert!(Lengths::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn draws_stay_in_bounds_and_follow_the_distribution() {
        let u = Lengths::Uniform { lo: 10, hi: 20 };
        let draws: Vec<u32> = (0..10_000).filter_map(|s| u.draw(s)).collect();
        assert!(draws.iter().all(|d| (10..=20).contains(d)));
        assert!((10..=20).all(|v| draws.contains(&v)), "every value drawn");
        let n = Lengths::Normal { mean: 200.0, sd: 20.0, lo: 150, hi: 260 };
        let draws: Vec<f64> = (0..20_000).filter_map(|s| n.draw(s)).map(f64::from).collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let sd = (draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64).sqrt();
        assert!((mean - 200.0).abs() < 1.0 && (sd - 20.0).abs() < 1.5, "mean {mean}, sd {sd}");
        assert!(draws.iter().all(|d| (150.0..=260.0).contains(d)));
        assert_eq!(n.draw(7), n.draw(7), "same seed, same length");
    }
}
