//! Prompts from outside the scenario: datasets handed to a run with `--data name=path`, parsed
//! once and held by the host for every instance to read by index, and the run's
//! [`TokenCounter`] (exact with `--tokenizer`, estimated without).
//!
//! Prompt datasets come in two file shapes. A JSON array, or JSON Lines, of objects that are either
//! ShareGPT-style conversations (`{"conversations": [{"from": "human", "value": …}, …]}`) or
//! prompts (`{"prompt": …}`, `{"text": …}` or `{"messages": [{"role", "content"}]}`, with an
//! optional answer length in `max_tokens`, `output_tokens` or `output_len`). Any entry may name
//! images (`image`, `images`: URLs, or files beside the dataset read once into `data:` URLs, see
//! [`images`]) that go with its user turn.
//!
//! An entry with no prompt at all (none of those fields, or an empty prompt) is an error naming
//! its line; a conversation with no user turn is skipped, and the skipped ones are counted in one
//! warning. Files are read within a size limit ([`read`]).
//!
//! A request trace (Mooncake's JSONL, Azure's or BurstGPT's CSV, told apart by the first line) is
//! a dataset too, whose rows also carry their arrival times ([`Dataset::arrival_offsets`]); it
//! holds lengths, not text, and builds each row's prompt when the row is read ([`trace`]).

pub mod conversation;
pub mod images;
pub mod prompt;
pub mod read;
pub mod trace;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

pub use conversation::Conversation;
pub use prompt::TokenCounter;

/// Why a dataset could not be loaded or read.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("--data {name}: cannot read {path}: {source}")]
    Read { name: String, path: PathBuf, source: std::io::Error },
    #[error("--data {name}: {path} {source}")]
    TooLarge { name: String, path: PathBuf, source: read::ReadError },
    #[error("--data {name}: {path} is not UTF-8 text: {source}")]
    NotText { name: String, path: PathBuf, source: std::string::FromUtf8Error },
    #[error(
        "--data {name}: {path}{where_}: no prompt: an entry needs a non-empty `prompt` or `text`, \
         `messages` or `conversations`"
    )]
    NoPrompt { name: String, path: PathBuf, where_: String },
    #[error("--data {name}: {path}{where_}: {message}")]
    Parse { name: String, path: PathBuf, where_: String, message: String },
    /// An image a row names cannot be sent (missing, too large, not an image).
    #[error("--data {name}: {path}{where_}: {message}")]
    Image { name: String, path: PathBuf, where_: String, message: String },
    #[error("--data {name}: {path} holds no usable row (a prompt, or a conversation with a user turn)")]
    Empty { name: String, path: PathBuf },
    #[error(
        "--data {name}: {path} is a {format} trace with no request to replay (rows with no input or no \
         output tokens are left out)"
    )]
    EmptyTrace { name: String, path: PathBuf, format: &'static str },
    #[error("--data {name}: {path}:{line}: a CSV file, but its header is neither {expected}: {header:?}")]
    UnknownCsv { name: String, path: PathBuf, line: usize, expected: String, header: String },
    #[error("--data {0:?}: give it as NAME=PATH")]
    Spec(String),
    #[error("--data {0}: given twice")]
    Duplicate(String),
    #[error("no dataset {name:?} in this run ({known})")]
    Unknown { name: String, known: String },
}

/// One row: what a request built from it sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The first user turn, or the row's prompt.
    pub prompt: String,
    /// `(role, content)` up to and including the first user turn.
    pub messages: Vec<(String, String)>,
    /// The answer length the row asks for or holds, in tokens, when known.
    pub output_tokens: Option<u32>,
    /// URLs of the images that go with the user turn (the last of `messages`), files already
    /// read into `data:` URLs; shared, since every request built from the row sends them.
    pub images: Vec<Arc<str>>,
    /// The whole conversation, turn by turn, for rows that hold one (ShareGPT `conversations`,
    /// JSONL `messages`); a single-prompt row is one turn (see [`Row::conversation`]).
    pub turns: Option<Arc<Conversation>>,
}

impl Row {
    /// The row's conversation turn by turn: the one it holds, else its prompt as one turn.
    pub fn conversation(&self) -> Arc<Conversation> {
        self.turns.clone().unwrap_or_else(|| Arc::new(Conversation::single(&self.prompt, self.output_tokens)))
    }
}

/// A dataset, parsed once and shared read-only by every instance of the run.
#[derive(Debug)]
pub struct Dataset {
    /// The name the scenario reads it by.
    pub name: String,
    /// The file it came from.
    pub path: PathBuf,
    rows: Rows,
    /// Entries that had no user turn (ShareGPT conversations that open with the model, say), or
    /// a trace's rows with no input or no output tokens.
    pub skipped: usize,
}

/// What a dataset holds.
#[derive(Debug)]
enum Rows {
    /// Prompts, held whole.
    Prompts(Vec<Row>),
    /// A request trace: lengths and times, the prompts built when read.
    Trace(trace::Trace),
}

impl Dataset {
    /// The number of rows (never zero).
    pub fn len(&self) -> usize {
        match &self.rows {
            Rows::Prompts(rows) => rows.len(),
            Rows::Trace(trace) => trace.len(),
        }
    }

    /// Never true: an empty file is refused when loading.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Row `index`, wrapping around so a scenario can read past the end of a short file.
    ///
    /// A prompt dataset's row is borrowed; a trace's is built now, its prompt as long as the
    /// recorded one in the run's tokens and made from the run's `seed` (see [`trace`]).
    pub fn row(&self, index: u64, seed: u64) -> Cow<'_, Row> {
        // `len` is never 0, and the remainder fits a usize because it is below `len`.
        let at = (index % self.len() as u64) as usize;
        match &self.rows {
            Rows::Prompts(rows) => Cow::Borrowed(&rows[at]),
            Rows::Trace(trace) => Cow::Owned(trace.row(at, seed)),
        }
    }

    /// When each row arrived, in milliseconds after the first (non-decreasing, from 0), for a
    /// request trace; `None` for a dataset without times.
    pub fn arrival_offsets(&self) -> Option<Vec<f64>> {
        match &self.rows {
            Rows::Prompts(_) => None,
            Rows::Trace(trace) => Some(trace.offsets()),
        }
    }

    /// Row `index`'s recorded prompt length in tokens (wrapping around as [`Dataset::row`]
    /// does), for a request trace; `None` for a prompt dataset, whose rows are text.
    pub fn input_tokens(&self, index: u64) -> Option<u32> {
        match &self.rows {
            Rows::Prompts(_) => None,
            Rows::Trace(trace) => Some(trace.input_tokens((index % trace.len() as u64) as usize)),
        }
    }

    /// The trace format, for a request trace.
    pub fn trace_format(&self) -> Option<trace::Format> {
        match &self.rows {
            Rows::Prompts(_) => None,
            Rows::Trace(trace) => Some(trace.format()),
        }
    }

    /// Reads and parses `path`; answers held in conversations are measured with `counter`, and a
    /// trace's prompts are made exact in its tokens.
    pub fn load(name: &str, path: &Path, counter: &Arc<TokenCounter>) -> Result<Self, DataError> {
        let bytes = read::read_limited(path, read::MAX_DATASET_BYTES, "a dataset").map_err(|e| match e {
            read::ReadError::Io(source) => DataError::Read { name: name.into(), path: path.into(), source },
            source => DataError::TooLarge { name: name.into(), path: path.into(), source },
        })?;
        let text = String::from_utf8(bytes).map_err(|source| DataError::NotText {
            name: name.into(),
            path: path.into(),
            source,
        })?;
        match trace::formats::detect(&text) {
            trace::formats::Detected::Trace(format) => {
                return Self::trace(name, path, format, &text, counter);
            }
            trace::formats::Detected::UnknownCsv(header) => {
                let line = text.lines().position(|l| !l.trim().is_empty()).unwrap_or(0) + 1;
                let expected = trace::formats::expected_headers();
                return Err(DataError::UnknownCsv {
                    name: name.into(),
                    path: path.into(),
                    line,
                    expected,
                    header,
                });
            }
            trace::formats::Detected::NotATrace => {}
        }
        let parse_error = |where_: String, e: serde_json::Error| DataError::Parse {
            name: name.into(),
            path: path.into(),
            where_,
            message: e.to_string(),
        };
        // Each entry with where it is (`:line` of JSONL, ` entry #n` of an array), for image errors.
        let entries: Vec<(String, Entry)> = if text.trim_start().starts_with('[') {
            let list: Vec<Entry> = serde_json::from_str(&text).map_err(|e| parse_error(String::new(), e))?;
            list.into_iter().enumerate().map(|(i, e)| (format!(" entry #{}", i + 1), e)).collect()
        } else {
            let mut entries = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let where_ = format!(":{}", i + 1);
                let entry = serde_json::from_str(line).map_err(|e| parse_error(where_.clone(), e))?;
                entries.push((where_, entry));
            }
            entries
        };
        let total = entries.len();
        let mut images = images::Images::beside(path);
        let mut rows: Vec<Row> = Vec::with_capacity(total);
        let mut first_skipped = None;
        for (where_, mut entry) in entries {
            let named = entry.take_images();
            let row = match entry.into_row(counter) {
                Ok(Some(row)) => row,
                Ok(None) => {
                    first_skipped.get_or_insert_with(|| where_.clone());
                    continue;
                }
                Err(NoPrompt) => {
                    return Err(DataError::NoPrompt { name: name.into(), path: path.into(), where_ });
                }
            };
            // Read only for rows that are kept: a skipped entry's images are never sent.
            let urls = named.iter().map(|reference| images.url(reference)).collect::<Result<_, _>>();
            let urls = urls.map_err(|message| DataError::Image {
                name: name.into(),
                path: path.into(),
                where_,
                message,
            })?;
            rows.push(Row { images: urls, ..row });
        }
        if rows.is_empty() {
            return Err(DataError::Empty { name: name.into(), path: path.into() });
        }
        if let Some(first) = first_skipped {
            tracing::warn!(
                "--data {name}: {} of {total} entries have no user turn and are skipped (the first: {}{first})",
                total - rows.len(),
                path.display()
            );
        }
        Ok(Self {
            name: name.into(),
            path: path.into(),
            skipped: total - rows.len(),
            rows: Rows::Prompts(rows),
        })
    }

    /// Reads a request trace in `format` (see [`trace`]).
    fn trace(
        name: &str,
        path: &Path,
        format: trace::Format,
        text: &str,
        counter: &Arc<TokenCounter>,
    ) -> Result<Self, DataError> {
        let trace = trace::Trace::parse(format, text, counter.clone()).map_err(|e| DataError::Parse {
            name: name.into(),
            path: path.into(),
            where_: format!(":{}", e.line),
            message: e.message,
        })?;
        if trace.is_empty() {
            return Err(DataError::EmptyTrace {
                name: name.into(),
                path: path.into(),
                format: format.name(),
            });
        }
        let (skipped, first) = trace.skipped();
        if let Some(first) = first {
            tracing::warn!(
                "--data {name}: {skipped} rows of the {} trace have no input or no output tokens and are not \
                 replayed (the first: {}:{first})",
                format.name(),
                path.display()
            );
        }
        Ok(Self { name: name.into(), path: path.into(), skipped, rows: Rows::Trace(trace) })
    }
}

/// The datasets of one run, by name.
#[derive(Debug, Default, Clone)]
pub struct Datasets(BTreeMap<String, Arc<Dataset>>);

impl Datasets {
    /// Loads every `NAME=PATH` of the command line.
    pub fn load(specs: &[String], counter: &Arc<TokenCounter>) -> Result<Self, DataError> {
        let mut sets = BTreeMap::new();
        for spec in specs {
            let (name, path) = spec
                .split_once('=')
                .filter(|(n, p)| !n.is_empty() && !p.is_empty())
                .ok_or_else(|| DataError::Spec(spec.clone()))?;
            if sets.contains_key(name) {
                return Err(DataError::Duplicate(name.into()));
            }
            sets.insert(name.to_string(), Arc::new(Dataset::load(name, Path::new(path), counter)?));
        }
        Ok(Self(sets))
    }

    /// The dataset called `name`; the error lists the ones the run has.
    pub fn get(&self, name: &str) -> Result<&Arc<Dataset>, DataError> {
        self.0.get(name).ok_or_else(|| DataError::Unknown {
            name: name.into(),
            known: if self.0.is_empty() {
                "it was given no --data".into()
            } else {
                format!("it has {}", self.0.keys().cloned().collect::<Vec<_>>().join(", "))
            },
        })
    }

    /// Every dataset, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Dataset>> {
        self.0.values()
    }
}

/// One entry of a file, in any of the shapes read; unknown fields are ignored.
#[derive(Deserialize)]
struct Entry {
    conversations: Option<Vec<Turn>>,
    messages: Option<Vec<Message>>,
    prompt: Option<String>,
    text: Option<String>,
    #[serde(alias = "output_tokens", alias = "output_len")]
    max_tokens: Option<u32>,
    /// One image (LLaVA's conversation files name it so).
    image: Option<String>,
    images: Option<Vec<String>>,
}

/// A ShareGPT turn.
#[derive(Deserialize)]
struct Turn {
    from: String,
    value: String,
}

#[derive(Deserialize)]
struct Message {
    role: String,
    content: String,
}

/// An entry that names no prompt in any of the shapes read.
struct NoPrompt;

impl Entry {
    /// The images the entry names, `image` first.
    fn take_images(&mut self) -> Vec<String> {
        self.image.take().into_iter().chain(self.images.take().into_iter().flatten()).collect()
    }

    /// The row, without its images (see [`Entry::take_images`]); `None` when it has no user turn,
    /// [`NoPrompt`] when it has no prompt of any shape.
    fn into_row(self, counter: &TokenCounter) -> Result<Option<Row>, NoPrompt> {
        if let Some(turns) = self.conversations {
            let whole = Conversation::from_messages(
                turns.iter().map(|t| (sharegpt_role(&t.from), t.value.as_str())),
                counter,
            )
            .map(Arc::new);
            let mut messages = Vec::new();
            let mut turns = turns.into_iter();
            for turn in turns.by_ref() {
                let role = sharegpt_role(&turn.from);
                messages.push((role.to_string(), turn.value));
                if role == "user" {
                    break;
                }
            }
            let Some((_, prompt)) = messages.last().filter(|(role, _)| role == "user") else {
                return Ok(None);
            };
            let prompt = prompt.clone();
            // The recorded answer's length is what vLLM's ShareGPT benchmark asks the server for.
            let answer = turns.next().map(|t| counter.count(&t.value));
            return Ok(Some(Row {
                prompt,
                messages,
                output_tokens: self.max_tokens.or(answer),
                images: Vec::new(),
                turns: whole,
            }));
        }
        if let Some(list) = self.messages {
            let whole = Conversation::from_messages(
                list.iter().map(|m| (m.role.as_str(), m.content.as_str())),
                counter,
            )
            .map(Arc::new);
            let mut messages: Vec<(String, String)> = list.into_iter().map(|m| (m.role, m.content)).collect();
            let Some(last_user) = messages.iter().rposition(|(role, _)| role == "user") else {
                return Ok(None);
            };
            messages.truncate(last_user + 1);
            let prompt = messages[last_user].1.clone();
            return Ok(Some(Row {
                prompt,
                messages,
                output_tokens: self.max_tokens,
                images: Vec::new(),
                turns: whole,
            }));
        }
        let prompt = self.prompt.or(self.text).filter(|p| !p.is_empty()).ok_or(NoPrompt)?;
        Ok(Some(Row {
            messages: vec![("user".into(), prompt.clone())],
            prompt,
            output_tokens: self.max_tokens,
            images: Vec::new(),
            turns: None,
        }))
    }
}

/// Reads a `--tokenizer` file (Hugging Face's `tokenizer.json`) within
/// [`read::MAX_TOKENIZER_BYTES`]; the error is one line for [`prompt::TokenizerError`], and says
/// whether the file is not JSON at all or JSON of another shape (a dataset, a model's
/// `config.json`), which `tokenizers`' own message leaves unclear.
pub(crate) fn read_tokenizer(path: &Path) -> Result<tokenizers::Tokenizer, String> {
    let bytes =
        read::read_limited(path, read::MAX_TOKENIZER_BYTES, "a tokenizer file").map_err(|e| e.to_string())?;
    tokenizers::Tokenizer::from_bytes(&bytes).map_err(|e| {
        let why = e.to_string().lines().next().unwrap_or_default().to_string();
        match serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
            Ok(_) => format!("is JSON but not a Hugging Face tokenizer (a tokenizer.json): {why}"),
            Err(json) => format!("is not JSON: {json}"),
        }
    })
}

/// OpenAI's role for a ShareGPT speaker.
fn sharegpt_role(from: &str) -> &'static str {
    match from.to_ascii_lowercase().as_str() {
        "human" | "user" => "user",
        "system" => "system",
        _ => "assistant",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(body: &str) -> Result<Dataset, DataError> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("d.json");
        std::fs::write(&path, body).expect("writing the dataset");
        Dataset::load("d", &path, &Arc::new(TokenCounter::Estimate))
    }

    #[test]
    fn jsonl_prompts_in_every_shape() {
        let d = load(
            "{\"prompt\": \"a b\", \"max_tokens\": 7}\n\n{\"text\": \"c\"}\n\
             {\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"u\"}, \
             {\"role\": \"assistant\", \"content\": \"x\"}], \"output_len\": 3}\n",
        )
        .expect("loads");
        assert_eq!(d.len(), 3);
        assert_eq!(d.row(0, 0).prompt, "a b");
        assert_eq!(d.row(0, 0).output_tokens, Some(7));
        assert_eq!(d.row(1, 0).messages, vec![("user".to_string(), "c".to_string())]);
        assert_eq!(d.row(2, 0).prompt, "u");
        assert_eq!(d.row(2, 0).messages.len(), 2, "the answer after the last user turn is dropped");
        assert_eq!(d.row(2, 0).output_tokens, Some(3));
        assert_eq!(d.row(4, 0).prompt, d.row(1, 0).prompt, "indexes wrap around");
    }

    #[test]
    fn sharegpt_conversations_take_the_first_user_turn_and_the_answer_length() {
        let d = load(
            r#"[{"id": "1", "conversations": [{"from": "system", "value": "be brief"},
                 {"from": "human", "value": "hello there"}, {"from": "gpt", "value": "one two three four"},
                 {"from": "human", "value": "again"}]},
                {"id": "2", "conversations": [{"from": "gpt", "value": "no question"}]}]"#,
        )
        .expect("loads");
        assert_eq!((d.len(), d.skipped), (1, 1));
        let row = d.row(0, 0);
        assert_eq!(row.prompt, "hello there");
        assert_eq!(row.messages[0], ("system".to_string(), "be brief".to_string()));
        assert_eq!(row.output_tokens, Some(4));
    }

    #[test]
    fn rows_carry_their_images_as_urls_read_once() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::create_dir(dir.path().join("img")).expect("a folder");
        std::fs::write(dir.path().join("img/cat.jpg"), [0xff, 0xd8, 0xff]).expect("an image");
        let path = dir.path().join("v.jsonl");
        std::fs::write(
            &path,
            "{\"prompt\": \"what?\", \"images\": [\"img/cat.jpg\", \"https://example.com/dog.png\"]}\n\
             {\"image\": \"img/cat.jpg\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image> and?\"}]}\n\
             {\"text\": \"no image\"}\n",
        )
        .expect("the dataset");
        let d = Dataset::load("v", &path, &Arc::new(TokenCounter::Estimate)).expect("loads");
        let cat = "data:image/jpeg;base64,/9j/";
        let urls = |i: u64| d.row(i, 0).images.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        assert_eq!(urls(0), [cat, "https://example.com/dog.png"]);
        assert_eq!(urls(1), [cat]);
        assert!(Arc::ptr_eq(&d.row(0, 0).images[0], &d.row(1, 0).images[0]), "one file, read once");
        assert!(d.row(2, 0).images.is_empty());
        std::fs::write(&path, "{\"text\": \"a\"}\n{\"text\": \"b\", \"image\": \"gone.png\"}\n")
            .expect("rewritten");
        let err = Dataset::load("v", &path, &Arc::new(TokenCounter::Estimate))
            .expect_err("a missing image")
            .to_string();
        assert!(
            err.starts_with("--data v: ") && err.contains("v.jsonl:2: image ") && err.contains("gone.png"),
            "{err}"
        );
    }

    #[test]
    fn a_trace_is_a_dataset_with_arrival_times_and_prompts_built_when_read() {
        let prompts = load("{\"prompt\": \"a b\"}\n").expect("loads");
        assert_eq!(
            (prompts.arrival_offsets(), prompts.input_tokens(0), prompts.trace_format()),
            (None, None, None)
        );
        let d = load(
            "{\"timestamp\": 0, \"input_length\": 700, \"output_length\": 9, \"hash_ids\": [0, 1]}\n\
             {\"timestamp\": 250, \"input_length\": 0, \"output_length\": 9, \"hash_ids\": []}\n\
             {\"timestamp\": 1500, \"input_length\": 30, \"output_length\": 2, \"hash_ids\": [0]}\n",
        )
        .expect("loads");
        assert_eq!((d.len(), d.skipped, d.trace_format()), (2, 1, Some(trace::Format::Mooncake)));
        assert_eq!(d.arrival_offsets(), Some(vec![0.0, 1500.0]));
        assert_eq!((d.input_tokens(1), d.input_tokens(2)), (Some(30), Some(700)), "wrapping around");
        let row = d.row(0, 7);
        assert!(matches!(row, Cow::Owned(_)), "built when read");
        assert_eq!((row.prompt.split(' ').count(), row.output_tokens), (700, Some(9)));
        assert_eq!(d.row(2, 7), row, "wrapping around, the same row");
        let err = load("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,12\n")
            .expect_err("a short row")
            .to_string();
        assert!(
            err.starts_with("--data d: ") && err.ends_with("d.json:2: 2 fields where the header has 3"),
            "{err}"
        );
        let err = load("Timestamp,Request tokens,Response tokens\n1,5,0\n")
            .expect_err("nothing to replay")
            .to_string();
        assert!(err.contains("is a BurstGPT trace with no request to replay"), "{err}");
        let err = load("\ntime,prompt\n1,hello\n").expect_err("another CSV").to_string();
        assert!(
            err.contains("d.json:2: a CSV file, but its header is neither Azure's")
                && err.contains("\"time,prompt\""),
            "{err}"
        );
    }

    #[test]
    fn bad_files_name_the_dataset_the_file_and_the_line() {
        let err = load("{\"prompt\": \"ok\"}\n{not json}\n").expect_err("line 2 is broken").to_string();
        assert!(err.starts_with("--data d: ") && err.contains("d.json:2: "), "{err}");
        let err = load("{\"other\": 1}\n").expect_err("no prompt").to_string();
        assert!(err.starts_with("--data d: ") && err.contains("d.json:1: no prompt"), "{err}");
        let err = load("{\"conversations\": [{\"from\": \"gpt\", \"value\": \"hi\"}]}\n")
            .expect_err("no user turn")
            .to_string();
        assert!(err.contains("holds no usable row"), "{err}");
        let err =
            Datasets::load(&["x".into()], &Arc::new(TokenCounter::Estimate)).expect_err("no =").to_string();
        assert_eq!(err, "--data \"x\": give it as NAME=PATH");
        let err = Datasets::load(&["x=/nonexistent/f".into()], &Arc::new(TokenCounter::Estimate))
            .expect_err("missing file")
            .to_string();
        assert!(err.starts_with("--data x: cannot read /nonexistent/f: "), "{err}");
        let none = Datasets::default();
        assert_eq!(
            none.get("p").expect_err("empty").to_string(),
            "no dataset \"p\" in this run (it was given no --data)"
        );
    }
}
