"""OpenAI-compatible calls: completions (`chat`, `completion`; several at once with `send_all`) and
embeddings (`embed`). The host sends the request, parses the stream and records TTFT, TTFO, ITL,
TPOT, E2E and token counts; this module only builds what to send.

`send()` returns the WIT `Completion` as it is: besides the timings and token counts, `text` (the
answer without reasoning), `ttfo_ms` (time to the first output token, content or a tool call,
reasoning excluded; streaming only), `reasoning_chunks`, `reasoning_tokens` and `cached_tokens`
(the server's usage details, None when not sent) and `tool_calls` (`ToolCall`s: `id`, `name`,
`arguments` as JSON text). `reasoned`, `reasoning_ms`, `tool_call` and `cached_share` read them.
Definitions: docs/METRICS.md."""

from componentize_py_types import Err
from wit_world.imports import llm as _raw
from wit_world.imports import types as _types

from . import metrics, params
from .tags import tag_list

Api = _raw.Api
Completion = _raw.Completion
Embedding = _raw.Embedding
Message = _types.Message
ErrorClass = _raw.ErrorClass
TokenSource = _raw.TokenSource
ToolCall = _raw.ToolCall


def class_name(cls: "ErrorClass") -> str:
    """The WIT name of an error class (`http-status`), for messages and tags."""
    return cls.name.lower().replace("_", "-")


def model_or_param(model, param):
    """The model a request sends: `model` when set (even empty), else the `model` parameter
    (`param()`, asked only then) unless it is blank, else None."""
    if model is not None:
        return model
    value = param()
    return value if value and value.strip() else None


def with_ignore_eos(extra):
    """The extra body with `"ignore_eos":true` put first inside the scenario's JSON object, so a
    field of the scenario's own wins (the host reads the last of repeated fields); a text that is
    not an object is left as it is (the host refuses it)."""
    field = '{"ignore_eos":true'
    if extra is None:
        return field + "}"
    trimmed = extra.lstrip()
    if not trimmed.startswith("{"):
        return extra
    rest = trimmed[1:]
    inner = rest.lstrip()
    return field + inner if inner.startswith("}") else field + "," + rest


def check_length(done: "Completion", max_tokens: int) -> None:
    """Records whether `done` has the length its request asked for, judged by its `finish_reason`:
    an answer cut at `max_tokens` (`length`) must have exactly that many tokens (the check
    `output_tokens == max_tokens`); one the model ended itself (`stop`) is counted under
    `stopped_early` instead, so a short answer shows without being taken for a broken server."""
    if done.finish_reason is None or done.finish_reason == "length":
        metrics.check("output_tokens == max_tokens", done.output_tokens == max_tokens)
    else:
        metrics.count("stopped_early", 1)


class LlmError(Exception):
    """A failed call: `cls` (an ErrorClass), the HTTP `status` when one came back, a `message`."""

    def __init__(self, cls: "ErrorClass", status, message: str):
        self.cls, self.status, self.message = cls, status, message
        if status is None:
            text = f"llm {class_name(cls)}: {message}"
        else:
            text = f"llm {class_name(cls)} (HTTP {status}): {message}"
        super().__init__(text)


class Request:
    """A completion request being built; send it with `send()`."""

    def __init__(self, api: "Api"):
        self._api = api
        self._model = None
        self._system = None
        self._messages = []
        self._prompt = ""
        self._max_tokens = None
        self._max_tokens_field = _raw.MaxTokensField.MAX_TOKENS
        self._stream = True
        self._extra_body = None
        self._ignore_eos = False
        self._headers = []
        self._timeout_ms = None
        self._tags = []
        self._prompt_source = _raw.PromptSource_Inline()

    def model(self, model: str) -> "Request":
        """The model name; by default the `model` parameter, or none when that is empty."""
        self._model = model
        return self

    def max_tokens(self, n: int) -> "Request":
        """The most tokens to generate, sent as `max_tokens` (every OpenAI-compatible server takes it)."""
        self._max_tokens = n
        self._max_tokens_field = _raw.MaxTokensField.MAX_TOKENS
        return self

    def max_completion_tokens(self, n: int) -> "Request":
        """The most tokens to generate, sent as `max_completion_tokens` (OpenAI's newer name, which
        reasoning models require). The last of this and `max_tokens` wins."""
        self._max_tokens = n
        self._max_tokens_field = _raw.MaxTokensField.MAX_COMPLETION_TOKENS
        return self

    def header(self, name: str, value) -> "Request":
        """A header for this request only (e.g. `x-session-id`), sent after the run's (`--header`,
        the API key); one of the same name replaces the run's. Its value is never recorded."""
        self._headers.append((str(name), str(value)))
        return self

    def image(self, url: str) -> "Request":
        """Adds an image (an `https://` or `data:` URL) to the last message, sent after its text as
        content parts (chat only). With no message yet (`chat_synthetic`, `chat_from_dataset`) it
        starts an empty user turn whose images the host moves onto the prompt's user turn."""
        if not self._messages:
            self.message("user", "")
        self._messages[-1].images.append(str(url))
        return self

    def stream(self, stream: bool = True) -> "Request":
        """Streams the answer (the default): needed for TTFT and ITL."""
        self._stream = bool(stream)
        return self

    def system(self, content: str) -> "Request":
        """A system message placed before the conversation (chat only)."""
        self._system = content
        return self

    def message(self, role: str, content: str) -> "Request":
        """Appends a message to the conversation (chat only), for multi-turn requests."""
        self._messages.append(Message(role, content, []))
        return self

    def extra(self, json: str) -> "Request":
        """A JSON object merged into the request body, e.g. `{"temperature":0}`; empty means none."""
        self._extra_body = json if json and json.strip() else None
        return self

    def dataset_row(self, name: str, index: int) -> "Request":
        """Takes the prompt from row `index` of dataset `name` on the host (see `chat_from_dataset`)."""
        self._prompt_source = _raw.PromptSource_Dataset(_raw.DatasetRow(name, index))
        return self

    def synthetic_prompt(self, tokens: int, seed: int) -> "Request":
        """Uses a synthetic prompt of `tokens` tokens built on the host (see `chat_synthetic`)."""
        self._prompt_source = _raw.PromptSource_Synthetic(_raw.SyntheticPrompt(tokens, seed))
        return self

    def ignore_eos(self, on: bool = True) -> "Request":
        """Asks the server to generate exactly `max_tokens` tokens, never stopping at the model's
        end of sequence (`"ignore_eos": true`: vLLM, SGLang and llama.cpp honour it; servers that
        refuse unknown fields, such as OpenAI's, answer 400). Sent only when `max_tokens` is set."""
        self._ignore_eos = bool(on)
        return self

    def llm_params(self) -> "Request":
        """Applies the parameters `Info.llm_params` declares: `stream`, `ignore_eos` and
        `extra_body` (`model` is always taken from its parameter when not set on the request)."""
        return (
            self.stream(params.flag("stream"))
            .ignore_eos(params.flag("ignore_eos"))
            .extra(params.get_or("extra_body", ""))
        )

    def timeout(self, seconds: float) -> "Request":
        """A per-request timeout instead of the run's default."""
        self._timeout_ms = max(0, round(seconds * 1000.0))
        return self

    def tag(self, key: str, value) -> "Request":
        """Adds a tag to this request's metrics (on top of the phase's tags)."""
        self._tags.extend(tag_list([(key, value)]))
        return self

    def as_raw(self, model=None):
        """The WIT record this request becomes; `model` is resolved from the parameter when unset."""
        model = model_or_param(self._model if model is None else model, lambda: params.get("model"))
        messages = list(self._messages)
        if self._system is not None:
            messages.insert(0, Message("system", self._system, []))
        return _raw.Request(
            api=self._api,
            model=model,
            messages=messages,
            prompt=self._prompt,
            max_tokens=self._max_tokens,
            max_tokens_field=self._max_tokens_field,
            stream=self._stream,
            # Only with a limit: without one, ignoring the end of sequence would run to the end
            # of the context.
            extra_body=(
                with_ignore_eos(self._extra_body)
                if self._ignore_eos and self._max_tokens is not None
                else self._extra_body
            ),
            headers=list(self._headers),
            timeout_ms=self._timeout_ms,
            tags=list(self._tags),
            prompt_source=self._prompt_source,
        )

    def send(self) -> "Completion":
        """Sends the request and waits for the whole answer; raises LlmError on failure."""
        try:
            return _raw.call(self.as_raw())
        except Err as e:
            raise LlmError(e.value.class_, e.value.status, e.value.message) from None


class EmbedRequest:
    """An embeddings request being built (`/v1/embeddings`); send it with `send()`."""

    def __init__(self, inputs, prompt_source):
        self._inputs = inputs
        self._prompt_source = prompt_source
        self._model = None
        self._batch = 1
        self._extra_body = None
        self._headers = []
        self._timeout_ms = None
        self._tags = []

    def model(self, model: str) -> "EmbedRequest":
        """The model name; by default the `model` parameter, or none when that is empty."""
        self._model = model
        return self

    def batch(self, n: int) -> "EmbedRequest":
        """How many texts a dataset or synthetic request makes (1 to 2048); inline texts go as given."""
        self._batch = n
        return self

    def extra(self, json: str) -> "EmbedRequest":
        """A JSON object merged into the request body, e.g. `{"dimensions":256}`; empty means none."""
        self._extra_body = json if json and json.strip() else None
        return self

    def header(self, name: str, value) -> "EmbedRequest":
        """A header for this request only, as `Request.header`."""
        self._headers.append((str(name), str(value)))
        return self

    def timeout(self, seconds: float) -> "EmbedRequest":
        """A per-request timeout instead of the run's default."""
        self._timeout_ms = max(0, round(seconds * 1000.0))
        return self

    def tag(self, key: str, value) -> "EmbedRequest":
        """Adds a tag to this request's metrics, e.g. `api=embeddings` beside chat calls in one phase."""
        self._tags.extend(tag_list([(key, value)]))
        return self

    def as_raw(self, model=None):
        """The WIT record this request becomes; `model` is resolved from the parameter when unset."""
        model = model_or_param(self._model if model is None else model, lambda: params.get("model"))
        return _raw.EmbeddingRequest(
            model=model,
            inputs=list(self._inputs),
            prompt_source=self._prompt_source,
            batch=self._batch,
            extra_body=self._extra_body,
            headers=list(self._headers),
            timeout_ms=self._timeout_ms,
            tags=list(self._tags),
        )

    def send(self) -> "Embedding":
        """Sends the request: its timing, token count, vectors and their length; raises LlmError."""
        try:
            return _raw.embed(self.as_raw())
        except Err as e:
            raise LlmError(e.value.class_, e.value.status, e.value.message) from None


def send_all(requests) -> list:
    """Sends every request at once and waits until all have ended: an agent's parallel
    sub-requests, joined. Returns a list in the requests' order, each item a `Completion` or an
    `LlmError` (returned, not raised: one failure does not hide the others' answers). Each is
    timed and recorded by the host exactly as `send()` would. At most 256 requests; a longer list
    is refused whole, each answered `invalid-request`."""
    results = _raw.call_many([r.as_raw() for r in requests])
    return [
        LlmError(r.value.class_, r.value.status, r.value.message) if isinstance(r, Err) else r.value
        for r in results
    ]


def embed(inputs) -> EmbedRequest:
    """Embeds these texts (a list, or one string) in one request."""
    texts = [inputs] if isinstance(inputs, str) else [str(t) for t in inputs]
    return EmbedRequest(texts, _raw.PromptSource_Inline())


def embed_from_dataset(name: str, index: int) -> EmbedRequest:
    """Embeds rows `index`, `index + 1`, ... of dataset `name` (`batch(n)` of them), made on the host."""
    return EmbedRequest([], _raw.PromptSource_Dataset(_raw.DatasetRow(name, index)))


def embed_synthetic(tokens: int, seed: int) -> EmbedRequest:
    """Embeds synthetic texts of `tokens` tokens of seeds `seed`, `seed + 1`, ... (`batch(n)` of them)."""
    return EmbedRequest([], _raw.PromptSource_Synthetic(_raw.SyntheticPrompt(tokens, seed)))


def chat(content: str) -> Request:
    """A chat request (`/v1/chat/completions`) with one user message."""
    return Request(Api.CHAT).message("user", content)


def chat_from_dataset(name: str, index: int) -> Request:
    """A chat request whose conversation the host takes from row `index` (modulo its length) of
    dataset `name` (`runner play --data name=path`); the prompt never crosses into the guest."""
    return Request(Api.CHAT).dataset_row(name, index)


def chat_synthetic(tokens: int, seed: int) -> Request:
    """A chat request with a synthetic prompt of `tokens` tokens built by the host (exact with
    `--tokenizer`), the same for the same `seed`."""
    return Request(Api.CHAT).synthetic_prompt(tokens, seed)


def completion(prompt: str) -> Request:
    """A text completion request (`/v1/completions`)."""
    req = Request(Api.COMPLETIONS)
    req._prompt = prompt
    return req


def reasoned(c: "Completion") -> bool:
    """Whether the model reasoned before answering: reasoning chunks in the stream, or reasoning
    tokens in the server's usage."""
    return c.reasoning_chunks > 0 or bool(c.reasoning_tokens)


def reasoning_ms(c: "Completion"):
    """How long the first output waited on reasoning: TTFO − TTFT in ms (0 for a model that did
    not reason); None unless streamed with an output."""
    if c.ttfo_ms is None or c.ttft_ms is None:
        return None
    return c.ttfo_ms - c.ttft_ms


def tool_call(c: "Completion", name: str):
    """The first tool call of the function `name`, or None."""
    return next((t for t in c.tool_calls if t.name == name), None)


def cached_share(c: "Completion"):
    """The share of the prompt served from the server's prefix cache, 0…1; None unless the server
    reported both cached and prompt tokens."""
    if c.cached_tokens is None or not c.input_tokens:
        return None
    return c.cached_tokens / c.input_tokens


from .session import SESSION_HEADER, Session  # noqa: E402  (session builds on this module)
