"""Deterministic synthetic prompts of a chosen length, identical to the Rust SDK's for the same
seed (so a Python scenario and its Rust twin send the same prompts)."""

_MASK = (1 << 64) - 1

# The Rust SDK's list (guests/rust/src/prompt.rs), in the same order: common short English words,
# nearly each a single BPE token when preceded by a space, so word count ~= token count.
WORDS = (
    "the of and to in is it you that he was for on are with as his they be at one have this from "
    "or had by word but what some we can out other were all there when up use your how said an "
    "each she which do their time if will way about many then them write would like so these her "
    "long make thing see him two has look more day could go come did number sound no most people "
    "my over know water than call first who may down side been now find any new work part take "
    "get place made live where after back little only round man year came show every good me give "
    "our under name very through just form great think say help low line before turn cause same "
    "mean move right boy old too does tell set three want air well also play small end put home "
    "read hand port large add even land here must big high such act why ask men change went light "
    "kind off need house picture try us again animal point mother world near build self earth "
    "father head stand own page should country found answer school grow study still learn plant "
    "cover food sun four thought let keep eye never last door between city tree cross since hard "
    "start might story saw far sea draw left late run while press close night real life few stop"
).split()


def mix(z: int) -> int:
    """SplitMix64's finaliser: a cheap, well-mixed 64-bit hash (same as the Rust SDK's)."""
    z = (z + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def synthetic(tokens: int, seed: int) -> str:
    """A prompt of exactly `tokens` words (~ tokens), the same for the same `seed`.

    Vary the seed per request (`Context.seed`) so a server's prefix cache cannot serve the
    prompt from an earlier one and flatter TTFT.
    """
    words = []
    state = seed & _MASK
    for _ in range(tokens):
        state = mix(state)
        words.append(WORDS[(state >> 32) % len(WORDS)])
    return " ".join(words)
