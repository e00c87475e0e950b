//! The three request-trace files ([`Format`]): which one a file is, told from its first line,
//! and its rows, each checked, a bad one refused with its line.
//!
//! The CSV files are read by a small reader of their own: their fields are numbers, a date and
//! time, and a model name or log type, never quoted commas or line breaks, so a comma splits
//! fields (a field wrapped in double quotes has them removed). A row with another number of
//! fields than the header is refused, which is also what a quoted comma would cause.

use std::sync::Arc;

use serde::Deserialize;

use super::{Builder, Format, Trace, TraceError};
use crate::data::TokenCounter;

/// Azure's columns (AzurePublicDataset, LLM inference traces 2023 and 2024).
const AZURE: [&str; 3] = ["TIMESTAMP", "ContextTokens", "GeneratedTokens"];

/// BurstGPT's columns that are read; the others (`Model`, `Total tokens`, `Log Type`, and the
/// `Session ID` and `Elapsed time` of later releases) are not.
const BURSTGPT: [&str; 3] = ["Timestamp", "Request tokens", "Response tokens"];

/// What a file's first line says it is.
#[derive(Debug, PartialEq)]
pub enum Detected {
    /// One of the trace formats.
    Trace(Format),
    /// A CSV header naming neither format's columns: no other CSV is read, so this is an error.
    UnknownCsv(String),
    /// Not a trace: a prompt dataset (or a broken file, which that reader reports).
    NotATrace,
}

/// Tells a trace from a prompt dataset by the file's first non-blank line: a JSON object with
/// `timestamp` and `input_length` is a Mooncake row; a comma-separated header naming Azure's or
/// BurstGPT's columns is that trace.
pub fn detect(text: &str) -> Detected {
    let Some(first) =
        text.strip_prefix('\u{feff}').unwrap_or(text).lines().map(str::trim).find(|l| !l.is_empty())
    else {
        return Detected::NotATrace;
    };
    if first.starts_with('{') {
        // Only the keys matter: a prompt row has neither, a Mooncake row has both.
        let Ok(row) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(first) else {
            return Detected::NotATrace;
        };
        return if row.contains_key("timestamp") && row.contains_key("input_length") {
            Detected::Trace(Format::Mooncake)
        } else {
            Detected::NotATrace
        };
    }
    if first.starts_with('[') || !first.contains(',') {
        return Detected::NotATrace;
    }
    let header = fields(first);
    let names = |columns: &[&str]| columns.iter().all(|c| column(&header, c).is_some());
    if names(&AZURE) {
        Detected::Trace(Format::Azure)
    } else if names(&BURSTGPT) {
        Detected::Trace(Format::BurstGpt)
    } else {
        Detected::UnknownCsv(first.to_string())
    }
}

/// The header an unknown CSV would need, for its error.
pub fn expected_headers() -> String {
    format!("Azure's `{}` or BurstGPT's `{}`", AZURE.join(","), BURSTGPT.join("`, `"))
}

/// Reads every row of a trace in `format`, its prompts to be counted by `counter`.
pub fn read(format: Format, text: &str, counter: Arc<TokenCounter>) -> Result<Trace, TraceError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rows = Builder::new(format, counter);
    match format {
        Format::Mooncake => mooncake(text, &mut rows)?,
        Format::Azure | Format::BurstGpt => csv(format, text, &mut rows)?,
    }
    Ok(rows.finish())
}

/// One line of a Mooncake trace; other fields are ignored.
#[derive(Deserialize)]
struct MooncakeRow {
    /// Milliseconds since the trace's first request.
    timestamp: f64,
    input_length: u32,
    output_length: u32,
    /// One id per 512-token block of the prompt; equal ids are equal blocks.
    #[serde(default)]
    hash_ids: Vec<u64>,
}

fn mooncake(text: &str, rows: &mut Builder) -> Result<(), TraceError> {
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: MooncakeRow =
            serde_json::from_str(line).map_err(|e| TraceError { line: i + 1, message: e.to_string() })?;
        rows.push(i + 1, row.timestamp, row.input_length, row.output_length, &row.hash_ids)?;
    }
    Ok(())
}

fn csv(format: Format, text: &str, rows: &mut Builder) -> Result<(), TraceError> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else { return Ok(()) };
    let header = fields(header);
    let names = if format == Format::Azure { AZURE } else { BURSTGPT };
    // `detect` found every column; a header is looked up here again so `read` stands alone.
    let [time, input, output] = names.map(|name| column(&header, name));
    let (Some(time), Some(input), Some(output)) = (time, input, output) else {
        return Err(TraceError {
            line: 1,
            message: format!("the header needs the columns {}", names.join(", ")),
        });
    };
    // Azure's times are absolute: each row's is taken from the first row's, in whole
    // nanoseconds, so milliseconds since the first request keep every digit.
    let mut origin_ns = None;
    for (i, line) in lines {
        let at = |message: String| TraceError { line: i + 1, message };
        let row = fields(line);
        if row.len() != header.len() {
            return Err(at(format!("{} fields where the header has {}", row.len(), header.len())));
        }
        let time_ms = match format {
            Format::Azure => {
                let ns = datetime_ns(row[time]).ok_or_else(|| {
                    at(format!(
                        "`{}` is not a date and time like 2023-11-16 18:15:46.6805900: {:?}",
                        names[0], row[time]
                    ))
                })?;
                (ns - *origin_ns.get_or_insert(ns)) as f64 / 1e6
            }
            _ => {
                let seconds: f64 =
                    row[time].parse().ok().filter(|s: &f64| s.is_finite()).ok_or_else(|| {
                        at(format!("`{}` is not a number of seconds: {:?}", names[0], row[time]))
                    })?;
                seconds * 1000.0
            }
        };
        let tokens = |column: usize, name: &str| {
            row[column]
                .parse::<u32>()
                .map_err(|_| at(format!("`{name}` is not a whole number: {:?}", row[column])))
        };
        rows.push(i + 1, time_ms, tokens(input, names[1])?, tokens(output, names[2])?, &[])?;
    }
    Ok(())
}

/// A CSV line's fields, trimmed, a pair of surrounding double quotes removed.
fn fields(line: &str) -> Vec<&str> {
    line.split(',')
        .map(|f| {
            let f = f.trim();
            f.strip_prefix('"').and_then(|f| f.strip_suffix('"')).unwrap_or(f)
        })
        .collect()
}

/// The index of column `name` (case aside).
fn column(header: &[&str], name: &str) -> Option<usize> {
    header.iter().position(|h| h.eq_ignore_ascii_case(name))
}

/// Nanoseconds since 1970 of `2023-11-16 18:15:46.6805900` (a `T` for the space and a trailing
/// `Z` are taken too; the time is read as UTC, and only differences are used).
fn datetime_ns(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = text.split_once([' ', 'T'])?;
    let mut date = date.split('-');
    let (year, month, day) = (date.next()?, date.next()?, date.next()?);
    let (hms, fraction) = time.split_once('.').unwrap_or((time, ""));
    let mut hms = hms.split(':');
    let (hour, minute, second) = (hms.next()?, hms.next()?, hms.next()?);
    if date.next().is_some() || hms.next().is_some() {
        return None;
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if ![year, month, day, hour, minute, second].into_iter().all(digits)
        || !(fraction.is_empty() || digits(fraction))
    {
        return None;
    }
    let (year, month, day): (i64, u32, u32) = (year.parse().ok()?, month.parse().ok()?, day.parse().ok()?);
    let (hour, minute, second): (i64, i64, i64) =
        (hour.parse().ok()?, minute.parse().ok()?, second.parse().ok()?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    // Nanoseconds: the first nine digits of the fraction (Azure's have seven, 100 ns ticks).
    let nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_from_the_first_line() {
        let mooncake = "\n{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 2, \"hash_ids\": [1]}\n";
        assert_eq!(detect(mooncake), Detected::Trace(Format::Mooncake));
        assert_eq!(
            detect("\u{feff}TIMESTAMP,ContextTokens,GeneratedTokens\r\n"),
            Detected::Trace(Format::Azure)
        );
        assert_eq!(
            detect(
                "Timestamp,Session ID,Elapsed time,Model,Request tokens,Response tokens,Total tokens,Log Type\n"
            ),
            Detected::Trace(Format::BurstGpt),
            "columns are found by name, wherever they are"
        );
        assert_eq!(detect("{\"prompt\": \"a\", \"timestamp\": 3}\n"), Detected::NotATrace);
        assert_eq!(detect("[{\"timestamp\": 0, \"input_length\": 5}]"), Detected::NotATrace);
        assert_eq!(detect("{broken\n"), Detected::NotATrace, "the prompt reader names the line");
        assert_eq!(detect(""), Detected::NotATrace);
        assert_eq!(detect("time,tokens\n1,2\n"), Detected::UnknownCsv("time,tokens".into()));
    }

    #[test]
    fn azure_times_are_read_to_the_hundred_nanoseconds() {
        let t0 = datetime_ns("2023-11-16 18:15:46.6805900").expect("parses");
        assert_eq!(datetime_ns("2023-11-16T18:15:46.68059Z"), Some(t0));
        assert_eq!(datetime_ns("2023-11-16 18:15:47.0000001").map(|t| t - t0), Some(319_410_100));
        // Across a day, a month and a leap day.
        let a = datetime_ns("2024-02-28 23:59:59").expect("parses");
        assert_eq!(datetime_ns("2024-03-01 00:00:00").map(|b| b - a), Some((86_400 + 1) * 1_000_000_000));
        assert_eq!(datetime_ns("1970-01-01 00:00:00"), Some(0));
        assert_eq!(datetime_ns("2000-01-01 00:00:00"), Some(946_684_800 * 1_000_000_000));
        for bad in
            ["2023-11-16", "2023-13-01 00:00:00", "2023-11-16 25:00:00", "2023-11-16 1:2:x", "1700000000"]
        {
            assert_eq!(datetime_ns(bad), None, "{bad}");
        }
    }

    #[test]
    fn csv_fields_are_trimmed_and_unquoted() {
        assert_eq!(fields(" 5 ,\"GPT-4\",Conversation log\r"), ["5", "GPT-4", "Conversation log"]);
        assert_eq!(column(&["timestamp", "x"], "TIMESTAMP"), Some(0));
    }
}
