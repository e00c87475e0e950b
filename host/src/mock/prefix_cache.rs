//! The mock's prefix cache (`prefix-cache=BLOCK`): vLLM's automatic prefix caching in miniature,
//! so the tests can hold what a runner reports about a server's cache against known hits.
//!
//! - A prompt is the mock's own tokens, the ones `prompt_tokens` counts: the words of the text
//!   (a chat message's words carry its role, as a chat template would), an image part
//!   [`IMAGE_TOKENS`] tokens named by its URL, a token id itself. They are cut into blocks of
//!   `block` tokens; each full block is named by a hash chained over every block before it, so a
//!   block hits only when the whole prompt up to its end was seen before (vLLM's block hashes).
//! - When a request is scheduled (it has its generation slot) its cached prefix is the longest run
//!   of leading blocks already in the cache. At least one prompt token is always computed, so the
//!   run stops at the last full block before the prompt's last token, as vLLM v1's does. Then every
//!   full block of the prompt enters the cache (or is refreshed).
//! - The cache holds at most `capacity` tokens' worth of blocks; beyond, the least recently used
//!   block goes. A prompt's blocks are refreshed last to first, so under pressure a prefix loses
//!   its tail before its head (vLLM frees a request's blocks in reverse for the same reason).
//! - Counted as vLLM v1 counts: each lookup adds the prompt's tokens to `queries` and its cached
//!   tokens to `hits`, shown on `/metrics` as `vllm:prefix_cache_queries_total` and
//!   `vllm:prefix_cache_hits_total`.
//!
//! What the cache saves is modelled by `prefill-per-token` (see the `generate` module): the first
//! token waits for the prefill of the uncached prompt tokens only.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use super::images::IMAGE_TOKENS;

/// vLLM's default block size, in tokens.
pub const DEFAULT_BLOCK_TOKENS: u32 = 16;
/// The default capacity, in tokens: 65,536 blocks of 16, a few MiB of bookkeeping.
pub const DEFAULT_CAPACITY_TOKENS: u64 = 1 << 20;
/// The most blocks a cache may hold, so its bookkeeping stays bounded (about 50 MiB at most).
pub const MAX_BLOCKS: u64 = 1 << 20;
/// The largest block size taken.
pub const MAX_BLOCK_TOKENS: u32 = 4096;

/// How the simulated server's prefix cache is sized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrefixCacheConfig {
    /// Tokens per block; only full blocks are cached.
    pub block_tokens: u32,
    /// Tokens the cache holds at most (rounded down to whole blocks).
    pub capacity_tokens: u64,
}

impl Default for PrefixCacheConfig {
    fn default() -> Self {
        PrefixCacheConfig { block_tokens: DEFAULT_BLOCK_TOKENS, capacity_tokens: DEFAULT_CAPACITY_TOKENS }
    }
}

/// The cache and its counters, shared by every connection of one server.
#[derive(Debug)]
pub(super) struct PrefixCache {
    block: u32,
    lru: Mutex<Lru>,
    /// Prompt tokens looked up (vLLM's `prefix_cache_queries`).
    queries: AtomicU64,
    /// Prompt tokens found cached (vLLM's `prefix_cache_hits`).
    hits: AtomicU64,
}

impl PrefixCache {
    pub(super) fn new(cfg: PrefixCacheConfig) -> PrefixCache {
        let block = cfg.block_tokens.clamp(1, MAX_BLOCK_TOKENS);
        let capacity = (cfg.capacity_tokens / u64::from(block)).clamp(1, MAX_BLOCKS);
        PrefixCache {
            block,
            lru: Mutex::new(Lru::new(usize::try_from(capacity).unwrap_or(usize::MAX))),
            queries: AtomicU64::new(0),
            hits: AtomicU64::new(0),
        }
    }

    /// The chained hashes of the full blocks of a chat request's messages.
    pub(super) fn chat_blocks(&self, messages: &[Value]) -> Vec<u64> {
        let mut blocks = Blocks::new(self.block);
        for message in messages {
            let role = message.get("role").and_then(Value::as_str).unwrap_or_default();
            match message.get("content") {
                Some(Value::String(s)) => blocks.words(role, s),
                Some(Value::Array(parts)) => {
                    for part in parts {
                        if let Some(text) = part.get("text").and_then(Value::as_str) {
                            blocks.words(role, text);
                        } else if part.get("type").and_then(Value::as_str) == Some("image_url") {
                            let url =
                                part.get("image_url").and_then(|i| i.get("url")).and_then(Value::as_str);
                            for i in 0..IMAGE_TOKENS {
                                blocks.push(token(&("image", url.unwrap_or_default(), i)));
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        blocks.done
    }

    /// The chained hashes of the full blocks of a completions `prompt`: a string, strings,
    /// token ids, or lists of ids (counted as `prompt_tokens` counts them).
    pub(super) fn completion_blocks(&self, prompt: &Value) -> Vec<u64> {
        let mut blocks = Blocks::new(self.block);
        let items = match prompt {
            Value::Array(items) => items.as_slice(),
            single => std::slice::from_ref(single),
        };
        for item in items {
            match item {
                Value::String(s) => blocks.words("", s),
                Value::Number(n) => blocks.push(token(&("id", n.to_string()))),
                Value::Array(ids) => {
                    for id in ids {
                        blocks.push(token(&("id", id.to_string())));
                    }
                }
                _ => {}
            }
        }
        blocks.done
    }

    /// Schedules a prompt of `prompt_tokens` tokens whose full blocks are `blocks`: returns how
    /// many of its tokens were cached, counts the lookup, and caches its blocks.
    pub(super) fn schedule(&self, blocks: &[u64], prompt_tokens: u64) -> u64 {
        let block = u64::from(self.block);
        // At least the last prompt token is computed: a prompt of 32 tokens in blocks of 16 can
        // hit its first block only.
        let most = usize::try_from(prompt_tokens.saturating_sub(1) / block).unwrap_or(usize::MAX);
        let mut lru = self.lru.lock().unwrap_or_else(|p| p.into_inner());
        let hit_blocks = blocks.iter().take(most).take_while(|h| lru.contains(**h)).count() as u64;
        for h in blocks.iter().rev() {
            lru.touch(*h);
        }
        drop(lru);
        let cached = (hit_blocks * block).min(prompt_tokens);
        self.queries.fetch_add(prompt_tokens, Ordering::Relaxed);
        self.hits.fetch_add(cached, Ordering::Relaxed);
        cached
    }

    /// (queries, hits) so far, in tokens.
    pub(super) fn counts(&self) -> (u64, u64) {
        (self.queries.load(Ordering::Relaxed), self.hits.load(Ordering::Relaxed))
    }

    /// vLLM v1's two counters, with the labels the rest of the page carries.
    pub(super) fn render(&self, page: &mut String, model: &str) {
        let (queries, hits) = self.counts();
        for (name, help, value) in [
            (
                "vllm:prefix_cache_queries_total",
                "Prefix cache queries, in terms of number of queried tokens.",
                queries,
            ),
            ("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.", hits),
        ] {
            let _ = write!(
                page,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name}{{model_name=\"{model}\",engine=\"0\"}} {value}\n"
            );
        }
    }
}

/// One token's identity.
fn token<T: Hash>(what: &T) -> u64 {
    let mut h = DefaultHasher::new();
    what.hash(&mut h);
    h.finish()
}

/// Gathers tokens into blocks and names each full block by the chain of blocks up to it.
struct Blocks {
    block: u32,
    /// Tokens in the block being filled.
    filled: u32,
    /// The hash of the block being filled, seeded with the previous block's.
    current: DefaultHasher,
    done: Vec<u64>,
}

impl Blocks {
    fn new(block: u32) -> Blocks {
        Blocks { block, filled: 0, current: DefaultHasher::new(), done: Vec::new() }
    }

    fn push(&mut self, token: u64) {
        self.current.write_u64(token);
        self.filled += 1;
        if self.filled == self.block {
            let h = self.current.finish();
            self.done.push(h);
            self.current = DefaultHasher::new();
            self.current.write_u64(h);
            self.filled = 0;
        }
    }

    /// The words of `text`, one token each, as `prompt_tokens` counts them.
    fn words(&mut self, role: &str, text: &str) {
        for word in text.split_whitespace() {
            self.push(token(&("word", role, word)));
        }
    }
}

/// Block hashes with a least-recently-used order.
#[derive(Debug)]
struct Lru {
    capacity: usize,
    /// Block → the tick of its last use.
    last_use: HashMap<u64, u64>,
    /// Tick → block, oldest first.
    by_age: BTreeMap<u64, u64>,
    tick: u64,
}

impl Lru {
    fn new(capacity: usize) -> Lru {
        Lru { capacity: capacity.max(1), last_use: HashMap::new(), by_age: BTreeMap::new(), tick: 0 }
    }

    fn contains(&self, block: u64) -> bool {
        self.last_use.contains_key(&block)
    }

    /// Inserts or refreshes `block`, evicting the oldest beyond the capacity.
    fn touch(&mut self, block: u64) {
        self.tick += 1;
        if let Some(old) = self.last_use.insert(block, self.tick) {
            self.by_age.remove(&old);
        }
        self.by_age.insert(self.tick, block);
        while self.last_use.len() > self.capacity {
            let Some((_, oldest)) = self.by_age.pop_first() else { break };
            self.last_use.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cache(block: u32, capacity_tokens: u64) -> PrefixCache {
        PrefixCache::new(PrefixCacheConfig { block_tokens: block, capacity_tokens })
    }

    /// `n` distinct words from `from`.
    fn words(from: usize, n: usize) -> String {
        (from..from + n).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ")
    }

    fn chat(text: &str) -> Vec<Value> {
        vec![json!({"role": "user", "content": text})]
    }

    #[test]
    fn a_shared_prefix_hits_in_whole_blocks_after_its_first_request() {
        let c = cache(16, 1 << 20);
        let prefix = words(0, 40);
        let first = c.chat_blocks(&chat(&format!("{prefix} {}", words(1000, 24))));
        assert_eq!(first.len(), 4, "64 tokens: 4 full blocks");
        assert_eq!(c.schedule(&first, 64), 0, "a cold cache");
        let second = c.chat_blocks(&chat(&format!("{prefix} {}", words(2000, 24))));
        assert_eq!(c.schedule(&second, 64), 32, "40 shared tokens: the 2 full blocks inside them");
        assert_eq!(c.counts(), (128, 32));
    }

    #[test]
    fn the_last_prompt_token_is_always_computed() {
        let c = cache(16, 1 << 20);
        let blocks = c.chat_blocks(&chat(&words(0, 32)));
        assert_eq!(c.schedule(&blocks, 32), 0);
        assert_eq!(c.schedule(&blocks, 32), 16, "the same 32 tokens again: the second block is recomputed");
        let longer = c.chat_blocks(&chat(&words(0, 33)));
        assert_eq!(c.schedule(&longer, 33), 32, "one more token: both blocks hit");
    }

    #[test]
    fn a_block_hits_only_after_the_same_prefix_and_role() {
        let c = cache(4, 1 << 20);
        let a = c.chat_blocks(&chat(&words(0, 12)));
        c.schedule(&a, 12);
        // The same second block of words after a different first block: no hit at all.
        let moved = c.chat_blocks(&chat(&format!("{} {}", words(100, 4), words(4, 8))));
        assert_eq!(c.schedule(&moved, 12), 0);
        let other_role = c.chat_blocks(&[json!({"role": "system", "content": words(0, 12)})]);
        assert_eq!(c.schedule(&other_role, 12), 0, "the role is part of the prompt");
        let parts = c.chat_blocks(&[json!({"role": "user", "content": [
            {"type": "text", "text": words(0, 6)}, {"type": "text", "text": words(6, 6)}]})]);
        assert_eq!(parts, a, "text parts are the same tokens as one string");
        let image = json!({"type": "image_url", "image_url": {"url": "https://x/a.png"}});
        let with_image = c.chat_blocks(&[json!({"role": "user", "content": [image]})]);
        assert_eq!(with_image.len() as u64, IMAGE_TOKENS / 4, "an image is IMAGE_TOKENS tokens");
    }

    #[test]
    fn completion_prompts_are_words_or_token_ids() {
        let c = cache(2, 1 << 20);
        assert_eq!(c.completion_blocks(&json!("a b c d e")).len(), 2);
        assert_eq!(c.completion_blocks(&json!(["a b", "c d"])), c.completion_blocks(&json!("a b c d")));
        assert_eq!(c.completion_blocks(&json!([1, 2, 3, 4])).len(), 2);
        assert_eq!(c.completion_blocks(&json!([[1, 2], [3, 4]])), c.completion_blocks(&json!([1, 2, 3, 4])));
        assert_ne!(c.completion_blocks(&json!([1, 2])), c.completion_blocks(&json!("1 2")));
    }

    #[test]
    fn the_least_recently_used_blocks_go_tail_first() {
        // Room for 4 blocks of 4 tokens.
        let c = cache(4, 16);
        let a = c.chat_blocks(&chat(&words(0, 13)));
        assert_eq!(a.len(), 3);
        c.schedule(&a, 13);
        let b = c.chat_blocks(&chat(&words(500, 9)));
        c.schedule(&b, 9);
        // 5 blocks were cached into room for 4: a's tail went, its head stays.
        assert_eq!(c.schedule(&a, 13), 8, "a's first two blocks, not its evicted third");
        assert_eq!(c.schedule(&b, 9), 4, "a came back and pushed out b's tail; b's head stays");
    }

    #[test]
    fn the_counters_render_as_vllms() {
        let c = cache(16, 1 << 20);
        let blocks = c.chat_blocks(&chat(&words(0, 40)));
        c.schedule(&blocks, 40);
        c.schedule(&blocks, 40);
        let mut page = String::new();
        c.render(&mut page, "mock");
        assert!(page.contains("# TYPE vllm:prefix_cache_queries_total counter\n"), "{page}");
        assert!(
            page.contains("vllm:prefix_cache_queries_total{model_name=\"mock\",engine=\"0\"} 80\n"),
            "{page}"
        );
        assert!(
            page.contains("vllm:prefix_cache_hits_total{model_name=\"mock\",engine=\"0\"} 32\n"),
            "{page}"
        );
    }
}
