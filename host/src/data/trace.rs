//! Request traces (`--data name=trace`): recorded arrivals with their prompt and answer lengths,
//! replayed on their schedule. Three files are read ([`Format`], [`formats`]): Mooncake's JSONL,
//! Azure's LLM inference trace CSV and BurstGPT's CSV.
//!
//! A trace holds lengths, not text, and has up to millions of rows of prompts thousands of
//! tokens long, so only the numbers are kept (about 24 bytes a row, and 8 a Mooncake block id);
//! a row's prompt is built when the row is read ([`Trace::row`]). Mooncake's `hash_ids` name
//! the prompt's 512-token blocks: block `j` of the prompt is the synthetic text of
//! `hash_ids[j]`, the same text wherever that id appears, so rows that share leading ids share
//! a prefix, as they did in the recorded traffic, and a server's prefix cache sees it. Azure
//! and BurstGPT rows get a synthetic prompt of their own.
//!
//! Lengths are exact in the `--tokenizer`'s tokens (about one token a word without one): each
//! block is made exact on its own, and the whole prompt is then fitted ([`TokenCounter::fit`]),
//! which only touches its tail, so a token merged or split where two blocks meet cannot shift
//! the shared prefix. With a tokenizer, making a block costs a tokenizer pass over it, so the
//! blocks made are kept ([`Blocks`]): a trace names the same ones again and again. The text
//! depends on the run's seed, so two runs of the same trace do not serve each other from a
//! prefix cache, and the same `--seed` sends the same text again.

pub mod formats;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use runner_contract::seed::mix;

use super::{Row, TokenCounter};

/// Tokens per Mooncake block: each of a row's `hash_ids` stands for this many prompt tokens.
pub const BLOCK_TOKENS: u32 = 512;

/// Kept apart so that the text of block id `n` and of row `n` are unrelated.
const BLOCK_SALT: u64 = 0xB10C_4A5E_D0C5_0001;
const ROW_SALT: u64 = 0x7A0E_5EED_0000_0002;

/// The most block text kept ([`Blocks`]): 64 MiB, some 40 000 blocks of English-like text.
const MAX_BLOCK_BYTES: usize = 64 << 20;

/// The trace file formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Mooncake's JSONL: `timestamp` (ms since the first request), `input_length`,
    /// `output_length`, `hash_ids` (one per 512-token prompt block).
    Mooncake,
    /// Azure's LLM inference trace CSV (2023, 2024): `TIMESTAMP` (a date and time),
    /// `ContextTokens`, `GeneratedTokens`.
    Azure,
    /// BurstGPT's CSV: `Timestamp` (seconds), `Request tokens`, `Response tokens`, and columns
    /// that are not read.
    BurstGpt,
}

impl Format {
    /// The format's name, as messages give it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Mooncake => "Mooncake",
            Self::Azure => "Azure",
            Self::BurstGpt => "BurstGPT",
        }
    }
}

/// A bad row: its line (1-based) and what is wrong with it.
#[derive(Debug, PartialEq)]
pub struct TraceError {
    pub line: usize,
    pub message: String,
}

/// One recorded request: 24 bytes.
#[derive(Debug, Clone, Copy)]
struct Request {
    /// Milliseconds after the trace's first request.
    offset_ms: f64,
    input_tokens: u32,
    output_tokens: u32,
    /// Its block ids: `hash_ids[from..from + len]` of the trace.
    from: u32,
    len: u32,
}

const _: () = assert!(size_of::<Request>() == 24, "the docs give a trace's memory as 24 bytes a row");

/// A trace, parsed: its requests in time order, without text.
#[derive(Debug)]
pub struct Trace {
    format: Format,
    /// The run's counter: prompts are exact in its tokens.
    counter: Arc<TokenCounter>,
    /// Block texts made so far, with a tokenizer.
    blocks: Mutex<Blocks>,
    requests: Vec<Request>,
    /// Every row's block ids, one after another.
    hash_ids: Vec<u64>,
    /// Rows with no input or no output tokens (BurstGPT's failed requests), not replayed.
    skipped: usize,
    /// The line of the first of those.
    first_skipped: Option<usize>,
}

impl Trace {
    /// Reads a trace in `format`, whose prompts will be exact in `counter`'s tokens; the error
    /// names the first bad line.
    pub fn parse(format: Format, text: &str, counter: Arc<TokenCounter>) -> Result<Self, TraceError> {
        formats::read(format, text, counter)
    }

    /// The file's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The number of requests replayed.
    pub fn len(&self) -> usize {
        self.requests.len()
    }

    /// Whether no row is replayed.
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty()
    }

    /// Rows left out for having no input or no output tokens, and the line of the first.
    pub fn skipped(&self) -> (usize, Option<usize>) {
        (self.skipped, self.first_skipped)
    }

    /// When each request arrived, in milliseconds after the first: non-decreasing, from 0.
    pub fn offsets(&self) -> Vec<f64> {
        self.requests.iter().map(|r| r.offset_ms).collect()
    }

    /// Request `index`'s recorded prompt length in tokens.
    pub fn input_tokens(&self, index: usize) -> u32 {
        self.requests[index].input_tokens
    }

    /// Request `index`'s recorded answer length in tokens.
    pub fn output_tokens(&self, index: usize) -> u32 {
        self.requests[index].output_tokens
    }

    /// Request `index`'s block ids (Mooncake; empty for the other formats).
    pub fn hash_ids(&self, index: usize) -> &[u64] {
        let r = &self.requests[index];
        &self.hash_ids[r.from as usize..r.from as usize + r.len as usize]
    }

    /// Request `index` as a row: its prompt, built now ([`Trace::prompt`]), as one user turn,
    /// and its recorded answer length.
    pub fn row(&self, index: usize, seed: u64) -> Row {
        let prompt = self.prompt(index, seed);
        Row {
            messages: vec![("user".to_string(), prompt.clone())],
            prompt,
            output_tokens: Some(self.requests[index].output_tokens),
            images: Vec::new(),
            turns: None,
        }
    }

    /// Request `index`'s prompt, `input_tokens` long in the counter's tokens, for the run's `seed`.
    ///
    /// Its whole 512-token blocks are the texts of its leading block ids; the rest is the start
    /// of the next id's text, or, past the last id (or for rows without ids), text of the row's
    /// own.
    pub fn prompt(&self, index: usize, seed: u64) -> String {
        let r = &self.requests[index];
        let tokens = &*self.counter;
        let own = mix(mix(seed ^ ROW_SALT) ^ index as u64);
        let ids = self.hash_ids(index);
        if ids.is_empty() {
            return tokens.synthetic(r.input_tokens, own);
        }
        let whole = (r.input_tokens / BLOCK_TOKENS) as usize;
        let mut text = String::with_capacity(r.input_tokens as usize * 6);
        let mut covered = 0;
        for &id in ids.iter().take(whole) {
            push_part(&mut text, &self.block(id, seed));
            covered += BLOCK_TOKENS;
        }
        let rest = r.input_tokens - covered;
        if rest > 0 {
            // Blocks are whole except the last: a row's last id covers what is left of it.
            let tail = ids.get((covered / BLOCK_TOKENS) as usize).map_or(own, |&id| block_seed(seed, id));
            push_part(&mut text, &tokens.synthetic(rest, tail));
        }
        tokens.fit(text, r.input_tokens, mix(own))
    }

    /// The text of block `id` for the run's `seed`: [`BLOCK_TOKENS`] tokens.
    fn block(&self, id: u64, seed: u64) -> Arc<str> {
        let make = || Arc::from(self.counter.synthetic(BLOCK_TOKENS, block_seed(seed, id)));
        // Without a tokenizer a block is a few microseconds of word picking: not worth keeping.
        if !self.counter.is_exact() {
            return make();
        }
        let lock = || self.blocks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(text) = lock().get(id, seed) {
            return text;
        }
        // Made outside the lock: VUs do not wait on each other's tokenizer passes (two that
        // make the same block at once make the same text).
        let text = make();
        lock().keep(id, seed, &text);
        text
    }
}

/// The seed of block `id`'s text in a run of `seed`.
fn block_seed(seed: u64, id: u64) -> u64 {
    mix(mix(seed ^ BLOCK_SALT) ^ id)
}

/// Block texts already made, for one seed, within [`MAX_BLOCK_BYTES`]: when full, they are all
/// dropped and the cache fills again with the blocks in use since, which keeps the ones a trace
/// is naming now without the bookkeeping of a least-recently-used list.
#[derive(Debug, Default)]
struct Blocks {
    seed: u64,
    texts: HashMap<u64, Arc<str>>,
    bytes: usize,
}

impl Blocks {
    fn get(&self, id: u64, seed: u64) -> Option<Arc<str>> {
        self.texts.get(&id).filter(|_| self.seed == seed).cloned()
    }

    fn keep(&mut self, id: u64, seed: u64, text: &Arc<str>) {
        if self.seed != seed || self.bytes + text.len() > MAX_BLOCK_BYTES {
            *self = Self { seed, ..Self::default() };
        }
        if self.texts.insert(id, text.clone()).is_none() {
            self.bytes += text.len();
        }
    }
}

/// Appends a part of a prompt, a space apart from the one before.
fn push_part(text: &mut String, part: &str) {
    if !text.is_empty() && !part.is_empty() {
        text.push(' ');
    }
    text.push_str(part);
}

/// A trace as its rows are read: each row checked against the one before.
struct Builder {
    trace: Trace,
    /// The first replayed row's time, on the file's clock (ms).
    origin: Option<f64>,
    /// The time and line of the row before.
    last: Option<(f64, usize)>,
}

impl Builder {
    fn new(format: Format, counter: Arc<TokenCounter>) -> Self {
        Self {
            trace: Trace {
                format,
                counter,
                blocks: Mutex::default(),
                requests: Vec::new(),
                hash_ids: Vec::new(),
                skipped: 0,
                first_skipped: None,
            },
            origin: None,
            last: None,
        }
    }

    /// Adds the row of `line`, at `time_ms` on the file's clock. Rows must come in time order:
    /// a replay sends them in file order, and rows out of order would either be sent late or
    /// change which row is sent when, so the file is refused rather than silently sorted.
    fn push(
        &mut self,
        line: usize,
        time_ms: f64,
        input: u32,
        output: u32,
        ids: &[u64],
    ) -> Result<(), TraceError> {
        let at = |message: String| TraceError { line, message };
        if !time_ms.is_finite() {
            return Err(at("its time is not a finite number".into()));
        }
        if let Some((before, before_line)) = self.last.filter(|&(before, _)| time_ms < before) {
            return Err(at(format!(
                "it comes {:.3} ms before line {before_line}: a trace's rows must be in time order \
                 (sort the file by its time column)",
                before - time_ms
            )));
        }
        self.last = Some((time_ms, line));
        let trace = &mut self.trace;
        if input == 0 || output == 0 {
            // Nothing to send, or nothing to ask for (BurstGPT records failed requests so).
            trace.skipped += 1;
            trace.first_skipped.get_or_insert(line);
            return Ok(());
        }
        let origin = *self.origin.get_or_insert(time_ms);
        let too_many = || at("the trace has more than 4294967295 block ids".into());
        let from = u32::try_from(trace.hash_ids.len()).map_err(|_| too_many())?;
        let len = u32::try_from(ids.len()).map_err(|_| too_many())?;
        from.checked_add(len).ok_or_else(too_many)?;
        trace.hash_ids.extend_from_slice(ids);
        trace.requests.push(Request {
            offset_ms: time_ms - origin,
            input_tokens: input,
            output_tokens: output,
            from,
            len,
        });
        Ok(())
    }

    fn finish(mut self) -> Trace {
        self.trace.requests.shrink_to_fit();
        self.trace.hash_ids.shrink_to_fit();
        self.trace
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn estimate() -> Arc<TokenCounter> {
        Arc::new(TokenCounter::Estimate)
    }

    fn fixture() -> Arc<TokenCounter> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tokenizer.json");
        Arc::new(TokenCounter::from_file(Path::new(path)).expect("the fixture tokenizer loads"))
    }

    fn sample(file: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(file);
        std::fs::read_to_string(&path).expect("a sample trace")
    }

    fn parse(format: Format, text: &str) -> Result<Trace, TraceError> {
        Trace::parse(format, text, estimate())
    }

    fn mooncake(rows: &[(f64, u32, u32, &[u64])], counter: &Arc<TokenCounter>) -> Trace {
        let text: String = rows
            .iter()
            .map(|(t, i, o, ids)| {
                format!("{{\"timestamp\": {t}, \"input_length\": {i}, \"output_length\": {o}, \"hash_ids\": {ids:?}}}\n")
            })
            .collect();
        Trace::parse(Format::Mooncake, &text, counter.clone()).expect("parses")
    }

    #[test]
    fn the_sample_traces_parse_in_order_from_zero() {
        for (file, format, rows) in [
            ("trace-mooncake.jsonl", Format::Mooncake, 30),
            ("trace-azure.csv", Format::Azure, 30),
            ("trace-burstgpt.csv", Format::BurstGpt, 30),
        ] {
            let text = sample(file);
            assert_eq!(formats::detect(&text), formats::Detected::Trace(format), "{file}");
            let trace = parse(format, &text).expect(file);
            assert_eq!(trace.len(), rows, "{file}");
            let offsets = trace.offsets();
            assert_eq!(offsets[0], 0.0, "{file}");
            assert!(offsets.windows(2).all(|w| w[0] <= w[1]), "{file}: {offsets:?}");
            let last = offsets[rows - 1];
            assert!((1500.0..=2500.0).contains(&last), "{file}: the samples span about 2 s, got {last}");
        }
    }

    #[test]
    fn rows_keep_times_lengths_and_block_ids() {
        let t = mooncake(
            &[(1000.0, 700, 20, &[4, 5]), (1000.0, 300, 5, &[4]), (1250.5, 1024, 9, &[4, 6])],
            &estimate(),
        );
        assert_eq!(t.offsets(), [0.0, 0.0, 250.5], "from the first request; equal times are fine");
        assert_eq!((t.input_tokens(2), t.output_tokens(2), t.hash_ids(2)), (1024, 9, &[4u64, 6][..]));
        assert_eq!(t.hash_ids(1), [4]);
        let azure = parse(
            Format::Azure,
            "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n\
             2023-11-16 18:15:50.9951690,396,109\n2023-11-16 18:15:50.9951690,879,0\n",
        )
        .expect("parses");
        assert_eq!(azure.offsets(), [0.0, 4314.579], "milliseconds, to the 100 ns tick");
        assert_eq!((azure.input_tokens(1), azure.output_tokens(1)), (396, 109));
        assert_eq!(azure.skipped(), (1, Some(4)), "a row with no answer is left out and counted");
        let burst = parse(
            Format::BurstGpt,
            "Timestamp,Model,Request tokens,Response tokens,Total tokens,Log Type\n\
             5,ChatGPT,472,18,490,Conversation log\n45.25,GPT-4,1087,0,1087,API log\n46,GPT-4,20,7,27,API log\n",
        )
        .expect("parses");
        assert_eq!(burst.offsets(), [0.0, 41000.0], "seconds become milliseconds");
        assert_eq!((burst.input_tokens(1), burst.output_tokens(1)), (20, 7));
        assert_eq!(burst.skipped(), (1, Some(3)));
    }

    #[test]
    fn rows_out_of_time_order_and_bad_fields_are_refused_with_their_line() {
        let err = |format, text: &str| parse(format, text).expect_err("refused");
        let e = err(
            Format::Mooncake,
            "{\"timestamp\": 10, \"input_length\": 5, \"output_length\": 1}\n\n\
             {\"timestamp\": 4, \"input_length\": 5, \"output_length\": 1}\n",
        );
        assert_eq!(e.line, 3);
        assert!(
            e.message.starts_with("it comes 6.000 ms before line 1: ") && e.message.contains("sort"),
            "{e:?}"
        );
        let e = err(
            Format::Mooncake,
            "{\"timestamp\": 0, \"input_length\": 5, \"output_length\": 1}\n{\"timestamp\": 1}\n",
        );
        assert_eq!(e.line, 2);
        assert!(e.message.contains("input_length"), "{e:?}");
        let azure = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n";
        let e = err(Format::Azure, &format!("{azure}2023-11-16 18:15:46.60,374,44\n"));
        assert_eq!(e.line, 3, "{e:?}");
        let e = err(Format::Azure, &format!("{azure}yesterday,374,44\n"));
        assert_eq!((e.line, e.message.starts_with("`TIMESTAMP` is not a date and time")), (3, true), "{e:?}");
        let e = err(Format::Azure, &format!("{azure}2023-11-16 18:15:47,-3,44\n"));
        assert_eq!(e.message, "`ContextTokens` is not a whole number: \"-3\"");
        let e = err(Format::Azure, &format!("{azure}2023-11-16 18:15:47,3\n"));
        assert_eq!((e.line, e.message.as_str()), (3, "2 fields where the header has 3"));
        let e = err(Format::BurstGpt, "Timestamp,Request tokens,Response tokens\nsoon,1,2\n");
        assert_eq!((e.line, e.message.as_str()), (2, "`Timestamp` is not a number of seconds: \"soon\""));
    }

    #[test]
    fn prompts_have_the_recorded_length_with_and_without_a_tokenizer() {
        let rows: &[(f64, u32, u32, &[u64])] =
            &[(0.0, 1100, 3, &[1, 2, 3]), (5.0, 512, 3, &[1]), (6.0, 1300, 3, &[9]), (7.0, 37, 3, &[])];
        for counter in [estimate(), fixture()] {
            let t = mooncake(rows, &counter);
            for i in 0..t.len() {
                let p = t.prompt(i, 42);
                assert_eq!(counter.count(&p), t.input_tokens(i), "row {i}, exact: {}", counter.is_exact());
                assert_eq!(p, t.prompt(i, 42), "the same seed, the same text");
            }
        }
        let t = mooncake(rows, &estimate());
        assert_eq!(t.prompt(0, 42).split(' ').count(), 1100, "about one token a word");
        assert_ne!(t.prompt(0, 42), t.prompt(0, 43), "another run, another text");
        let row = t.row(0, 42);
        assert_eq!((row.output_tokens, row.messages.len()), (Some(3), 1));
        assert_eq!(row.messages[0], ("user".to_string(), row.prompt.clone()));
    }

    #[test]
    fn equal_block_ids_give_a_shared_prefix_and_other_rows_do_not() {
        // Rows 0 and 1 share blocks 7 and 8, row 2 only block 7; row 3 has none.
        let rows: &[(f64, u32, u32, &[u64])] = &[
            (0.0, 1500, 1, &[7, 8, 10]),
            (1.0, 1200, 1, &[7, 8, 11]),
            (2.0, 1100, 1, &[7, 12, 13]),
            (3.0, 1500, 1, &[]),
        ];
        for counter in [estimate(), fixture()] {
            let t = mooncake(rows, &counter);
            let p: Vec<String> = (0..t.len()).map(|i| t.prompt(i, 1)).collect();
            // The tokens of the longest common start of two prompts: the shared blocks, and at
            // most a word's start more where the texts part by chance.
            let common = |i: usize, j: usize| {
                let n = p[i].bytes().zip(p[j].bytes()).take_while(|(a, b)| a == b).count();
                counter.count(&p[i][..n])
            };
            let exact = counter.is_exact();
            assert!(
                (2 * BLOCK_TOKENS..2 * BLOCK_TOKENS + 4).contains(&common(0, 1)),
                "0/1 {exact}: {}",
                common(0, 1)
            );
            assert!(
                (BLOCK_TOKENS..BLOCK_TOKENS + 4).contains(&common(0, 2)),
                "0/2 {exact}: {}",
                common(0, 2)
            );
            assert!(
                (BLOCK_TOKENS..BLOCK_TOKENS + 4).contains(&common(1, 2)),
                "1/2 {exact}: {}",
                common(1, 2)
            );
            assert!(common(0, 3) < 4, "a row without ids shares nothing, {exact}: {}", common(0, 3));
            // The same id is the same text in any row and at any position.
            let lone = mooncake(&[(0.0, 512, 1, &[8])], &counter);
            assert!(p[0].contains(&lone.prompt(0, 1)), "{exact}");
        }
    }

    #[test]
    fn blocks_made_with_a_tokenizer_are_kept_for_the_run_seed_only() {
        let t = mooncake(&[(0.0, 1100, 1, &[7, 8, 9]), (1.0, 1024, 1, &[7, 8])], &fixture());
        let first = t.prompt(0, 5);
        let kept = |seed| t.blocks.lock().expect("unpoisoned").get(7, seed);
        assert!(first.starts_with(&*kept(5).expect("block 7 is kept")), "block 7 opens row 0");
        assert_eq!(t.blocks.lock().expect("unpoisoned").texts.len(), 2, "whole blocks only: 7 and 8");
        assert_eq!(t.prompt(0, 5), first, "the kept blocks give the same text");
        assert!(t.prompt(1, 5).starts_with(&*kept(5).expect("kept")));
        let other = t.prompt(0, 6);
        assert_ne!(other, first);
        assert!(kept(5).is_none() && kept(6).is_some(), "another seed starts over");
        let untouched = mooncake(&[(0.0, 1100, 1, &[7, 8, 9])], &estimate());
        let _ = untouched.prompt(0, 5);
        assert!(
            untouched.blocks.lock().expect("unpoisoned").texts.is_empty(),
            "without a tokenizer, nothing kept"
        );
    }

    #[test]
    fn rows_without_ids_are_unique_and_exact() {
        let counter = fixture();
        let t = Trace::parse(Format::Azure, &sample("trace-azure.csv"), counter.clone()).expect("parses");
        let prompts: Vec<String> = (0..t.len()).map(|i| t.prompt(i, 5)).collect();
        for (i, p) in prompts.iter().enumerate() {
            assert_eq!(counter.count(p), t.input_tokens(i), "row {i}");
        }
        let distinct: std::collections::HashSet<&str> =
            prompts.iter().map(|p| &p[..p.len().min(40)]).collect();
        assert_eq!(distinct.len(), prompts.len(), "every row opens differently");
    }
}
