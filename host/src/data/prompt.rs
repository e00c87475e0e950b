//! Synthetic prompts of a requested token length, for payloads such as the usual 64- and
//! 256-token requests, and the run's token counter: exact through a Hugging Face
//! `tokenizer.json` (`--tokenizer`), estimated without one.
//!
//! Prompts are built here, on the host, for every guest language alike (`data.synthetic-prompt`
//! and `llm.request.prompt-source`), so a Rust, JS and Python port of a scenario send the same text.

use std::path::Path;

use runner_contract::seed::mix;
use tokenizers::Tokenizer;

/// Common short English words: nearly every one is a single token in GPT-, Llama- and
/// Qwen-style BPE vocabularies when preceded by a space, so word count ≈ token count.
const WORDS: &[&str] = &[
    "the", "of", "and", "to", "in", "is", "it", "you", "that", "he", "was", "for", "on", "are", "with", "as",
    "his", "they", "be", "at", "one", "have", "this", "from", "or", "had", "by", "word", "but", "what",
    "some", "we", "can", "out", "other", "were", "all", "there", "when", "up", "use", "your", "how", "said",
    "an", "each", "she", "which", "do", "their", "time", "if", "will", "way", "about", "many", "then",
    "them", "write", "would", "like", "so", "these", "her", "long", "make", "thing", "see", "him", "two",
    "has", "look", "more", "day", "could", "go", "come", "did", "number", "sound", "no", "most", "people",
    "my", "over", "know", "water", "than", "call", "first", "who", "may", "down", "side", "been", "now",
    "find", "any", "new", "work", "part", "take", "get", "place", "made", "live", "where", "after", "back",
    "little", "only", "round", "man", "year", "came", "show", "every", "good", "me", "give", "our", "under",
    "name", "very", "through", "just", "form", "great", "think", "say", "help", "low", "line", "before",
    "turn", "cause", "same", "mean", "move", "right", "boy", "old", "too", "does", "tell", "set", "three",
    "want", "air", "well", "also", "play", "small", "end", "put", "home", "read", "hand", "port", "large",
    "add", "even", "land", "here", "must", "big", "high", "such", "act", "why", "ask", "men", "change",
    "went", "light", "kind", "off", "need", "house", "picture", "try", "us", "again", "animal", "point",
    "mother", "world", "near", "build", "self", "earth", "father", "head", "stand", "own", "page", "should",
    "country", "found", "answer", "school", "grow", "study", "still", "learn", "plant", "cover", "food",
    "sun", "four", "thought", "let", "keep", "eye", "never", "last", "door", "between", "city", "tree",
    "cross", "since", "hard", "start", "might", "story", "saw", "far", "sea", "draw", "left", "late", "run",
    "while", "press", "close", "night", "real", "life", "few", "stop",
];

/// Counts tokens: exactly with a tokenizer, else by estimate.
#[derive(Debug, Default)]
pub enum TokenCounter {
    /// Words and punctuation marks, one token each: close for English text in BPE vocabularies.
    #[default]
    Estimate,
    /// A Hugging Face tokenizer (`tokenizer.json`), loaded with `--tokenizer`.
    Exact(Box<Tokenizer>),
}

/// A `--tokenizer` file that could not be loaded.
#[derive(Debug, thiserror::Error)]
#[error("--tokenizer {path}: {message}")]
pub struct TokenizerError {
    path: String,
    message: String,
}

impl TokenCounter {
    /// Loads a `tokenizer.json` (the format of Hugging Face's `tokenizers`).
    pub fn from_file(path: &Path) -> Result<Self, TokenizerError> {
        super::read_tokenizer(path)
            .map(|t| Self::Exact(Box::new(t)))
            .map_err(|message| TokenizerError { path: path.display().to_string(), message })
    }

    /// Whether counts are exact.
    pub fn is_exact(&self) -> bool {
        matches!(self, Self::Exact(_))
    }

    /// The number of tokens in `text` (without the special tokens a model adds around a prompt).
    pub fn count(&self, text: &str) -> u32 {
        let n = match self {
            Self::Estimate => estimate(text),
            Self::Exact(t) => t.encode_fast(text, false).map(|e| e.len()).unwrap_or_else(|_| estimate(text)),
        };
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// A prompt of `tokens` tokens, the same for the same `seed` and counter: `tokens` words
    /// without a tokenizer; with one, words cut at a token boundary so the count is exact.
    ///
    /// Vary the seed per request so a server's prefix cache cannot serve the prompt from an
    /// earlier one and flatter TTFT.
    pub fn synthetic(&self, tokens: u32, seed: u64) -> String {
        let Self::Exact(tokenizer) = self else { return words(tokens as usize, seed) };
        let want = tokens as usize;
        if want == 0 {
            return String::new();
        }
        // Words of a seed form one endless sequence, so a longer text extends a shorter one:
        // grow until there are enough tokens, then cut at the end of the last wanted token.
        let mut n_words = want;
        for _ in 0..16 {
            let text = words(n_words, seed);
            // `encode`, not `encode_fast`: the cut needs the offsets, which the fast path skips.
            let Ok(encoding) = tokenizer.encode(text.as_str(), false) else { break };
            if encoding.len() < want {
                n_words += want - encoding.len();
                continue;
            }
            let end = encoding.get_offsets()[want - 1].1;
            let cut = text[..end].to_string();
            if self.count(&cut) == tokens {
                return cut;
            }
            // A merge across the cut changed the count: retry on a slightly different length.
            n_words += 1;
        }
        words(want, seed)
    }

    /// `text` brought to exactly `tokens` tokens: cut at a token boundary when it is longer,
    /// extended with words of the stream `seed` when it is shorter. For text made of parts that
    /// are each exact (a trace's prefix blocks): joining them can merge or split a token at a
    /// seam, and only the tail is touched to make up for it, so texts that share their leading
    /// parts still share them after the fit. Exact without a tokenizer, and with one unless the
    /// tail keeps merging across the cut (then within a token or two).
    pub fn fit(&self, mut text: String, tokens: u32, seed: u64) -> String {
        let want = tokens as usize;
        if want == 0 {
            return String::new();
        }
        let mut pad = seed;
        // Each turn either returns, cuts at the wanted token's end, or pads by the shortfall;
        // a cut or pad that merges across the seam is corrected on the next turn.
        for _ in 0..16 {
            let (have, end) = match self {
                Self::Estimate => (estimate(&text), estimate_end(&text, want)),
                Self::Exact(tokenizer) => {
                    // `encode`, not `encode_fast`: the cut needs the offsets.
                    let Ok(encoding) = tokenizer.encode(text.as_str(), false) else { break };
                    (encoding.len(), encoding.get_offsets().get(want - 1).map(|&(_, end)| end))
                }
            };
            match have.cmp(&want) {
                std::cmp::Ordering::Equal => return text,
                std::cmp::Ordering::Greater => match end.filter(|&e| text.is_char_boundary(e)) {
                    Some(end) => text.truncate(end),
                    None => break,
                },
                std::cmp::Ordering::Less => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(&words(want - have, pad));
                    pad = mix(pad);
                }
            }
        }
        text
    }
}

/// The byte offset where the estimate's `n`th token ends (the text's end when it has fewer).
fn estimate_end(text: &str, n: usize) -> Option<usize> {
    let mut count = 0;
    let mut in_word = false;
    for (at, c) in text.char_indices() {
        let starts_token = if c.is_alphanumeric() { !in_word } else { !c.is_whitespace() };
        in_word = c.is_alphanumeric();
        if starts_token {
            if count == n {
                return Some(text[..at].trim_end().len());
            }
            count += 1;
        }
    }
    Some(text.len())
}

/// The estimate: each run of letters or digits is a token, and so is each other visible character.
fn estimate(text: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            n += usize::from(!in_word);
            in_word = true;
        } else {
            n += usize::from(!c.is_whitespace());
            in_word = false;
        }
    }
    n
}

/// `n` words drawn from [`WORDS`] by a seeded stream.
fn words(n: usize, seed: u64) -> String {
    let mut out = String::with_capacity(n * 6);
    let mut state = seed;
    for i in 0..n {
        state = mix(state);
        // The top bits of the hash are the best mixed; the modulo bias over 256 words is nil.
        let word = WORDS[(state >> 32) as usize % WORDS.len()];
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate_counter() -> TokenCounter {
        TokenCounter::Estimate
    }

    #[test]
    fn without_a_tokenizer_a_prompt_has_exactly_the_requested_word_count() {
        let c = estimate_counter();
        for n in [0u32, 1, 32, 64, 256, 1000] {
            let p = c.synthetic(n, 42);
            assert_eq!(p.split_whitespace().count(), n as usize, "n = {n}");
            assert_eq!(c.count(&p), n, "the estimate agrees with the word count");
        }
    }

    #[test]
    fn prompts_are_deterministic_seed_dependent_and_extend_each_other() {
        let c = estimate_counter();
        assert_eq!(c.synthetic(64, 7), c.synthetic(64, 7));
        assert_ne!(c.synthetic(64, 7), c.synthetic(64, 8));
        assert!(c.synthetic(256, 7).starts_with(&c.synthetic(64, 7)));
        let p = c.synthetic(500, 3);
        assert!(p.split(' ').all(|w| WORDS.contains(&w)));
        let distinct: std::collections::HashSet<_> = p.split(' ').collect();
        assert!(distinct.len() > 100, "too little variety: {}", distinct.len());
    }

    #[test]
    fn the_estimate_counts_words_and_punctuation() {
        assert_eq!(estimate("Hello, world! It's 2026."), 9, "Hello , world ! It ' s 2026 .");
        assert_eq!(estimate("   "), 0);
    }

    /// A byte-pair tokenizer from the test fixture: letters are tokens and a few merges make
    /// common words single tokens, so token counts differ from word counts.
    fn fixture() -> TokenCounter {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tokenizer.json");
        TokenCounter::from_file(Path::new(path)).expect("the fixture tokenizer loads")
    }

    #[test]
    fn with_a_tokenizer_prompts_have_exactly_the_requested_token_count() {
        let c = fixture();
        assert!(c.is_exact());
        let words_only = estimate_counter().synthetic(64, 9);
        assert!(c.count(&words_only) > 64, "most words are several tokens in the fixture");
        for (n, seed) in [(1u32, 1u64), (7, 2), (64, 3), (256, 4), (1000, 5)] {
            let p = c.synthetic(n, seed);
            assert_eq!(c.count(&p), n, "n = {n}: {p:?}");
            assert_eq!(p, c.synthetic(n, seed), "deterministic");
        }
        assert_eq!(c.synthetic(0, 1), "");
    }

    #[test]
    fn fit_cuts_or_pads_the_tail_to_the_exact_length() {
        for c in [estimate_counter(), fixture()] {
            let head = c.synthetic(50, 1);
            for n in [1u32, 10, 49, 50, 51, 120] {
                let fitted = c.fit(head.clone(), n, 2);
                assert_eq!(c.count(&fitted), n, "n = {n}, exact = {}: {fitted:?}", c.is_exact());
                let shared = head.len().min(fitted.len()).saturating_sub(8);
                assert_eq!(fitted[..shared], head[..shared], "only the tail changes");
                assert_eq!(fitted, c.fit(head.clone(), n, 2), "deterministic");
            }
            assert_eq!(c.fit(head.clone(), 0, 2), "");
            assert_eq!(c.count(&c.fit(String::new(), 9, 3)), 9, "an empty text is all padding");
        }
        let c = estimate_counter();
        assert_eq!(c.fit("Hello, world! It's".into(), 3, 0), "Hello, world", "punctuation counts");
    }

    #[test]
    fn a_bad_tokenizer_file_is_one_line() {
        let err = TokenCounter::from_file(Path::new("/nonexistent/tokenizer.json")).expect_err("missing");
        let msg = err.to_string();
        assert!(msg.starts_with("--tokenizer /nonexistent/tokenizer.json: ") && !msg.contains('\n'), "{msg}");
    }
}
