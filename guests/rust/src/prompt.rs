//! Deterministic synthetic prompts of a chosen length, for payloads such as the seed's
//! 64- and 256-token requests.

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

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash, so nearby seeds give unrelated streams.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A prompt of exactly `tokens` words (≈ `tokens` tokens), the same for the same `seed`.
///
/// Vary the seed per request (see [`crate::Context::seed`]) so a server's prefix cache cannot
/// serve the prompt from an earlier one and flatter TTFT.
pub fn synthetic(tokens: u32, seed: u64) -> String {
    let mut out = String::with_capacity(tokens as usize * 6);
    let mut state = seed;
    for i in 0..tokens {
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

    #[test]
    fn has_exactly_the_requested_word_count() {
        for n in [0u32, 1, 32, 64, 256, 1000] {
            assert_eq!(synthetic(n, 42).split_whitespace().count(), n as usize, "n = {n}");
        }
        assert_eq!(synthetic(0, 1), "");
    }

    #[test]
    fn is_deterministic_and_seed_dependent() {
        assert_eq!(synthetic(64, 7), synthetic(64, 7));
        assert_ne!(synthetic(64, 7), synthetic(64, 8));
        // A shorter prompt with the same seed is a prefix of a longer one.
        assert!(synthetic(256, 7).starts_with(&synthetic(64, 7)));
    }

    #[test]
    fn uses_only_listed_single_words() {
        let p = synthetic(500, 3);
        assert!(p.split(' ').all(|w| WORDS.contains(&w)));
        let distinct: std::collections::HashSet<_> = p.split(' ').collect();
        assert!(distinct.len() > 100, "too little variety: {}", distinct.len());
    }
}
