"""Plain HTTP requests timed by the host, for non-LLM targets and health checks."""

from componentize_py_types import Err
from wit_world.imports import http as _raw

from .tags import tag_list

ErrorClass = _raw.ErrorClass
Response = _raw.Response
ResponseContent = _raw.ResponseContent
Timings = _raw.Timings


def class_name(cls: "ErrorClass") -> str:
    """The WIT name of an error class (`invalid-request`), for messages and tags."""
    return cls.name.lower().replace("_", "-")


class HttpError(Exception):
    """A failed request (no response at all; an HTTP error status is a Response)."""

    def __init__(self, cls: "ErrorClass", message: str):
        self.cls, self.message = cls, message
        super().__init__(f"http {class_name(cls)}: {message}")


def _bytes(body) -> bytes:
    return body.encode() if isinstance(body, str) else bytes(body)


class Request:
    """An HTTP request being built; send it with `send()`."""

    def __init__(self, method: str, url: str):
        self._raw = _raw.Request(
            method=method,
            url=url,
            headers=[],
            body=b"",
            timeout_ms=None,
            tags=[],
            response_content=ResponseContent.FULL,
        )

    def header(self, name: str, value: str) -> "Request":
        """Adds a header."""
        self._raw.headers.append((name, value))
        return self

    def body(self, body) -> "Request":
        """Replaces the body (bytes, or a str sent as UTF-8)."""
        self._raw.body = _bytes(body)
        return self

    def timeout(self, seconds: float) -> "Request":
        """A per-request timeout instead of the run's default."""
        self._raw.timeout_ms = max(0, round(seconds * 1000.0))
        return self

    def tag(self, key: str, value) -> "Request":
        """Adds a tag to this request's metrics (on top of the phase's tags)."""
        self._raw.tags.extend(tag_list([(key, value)]))
        return self

    def status_only(self) -> "Request":
        """Leaves the response's headers and body on the host: the guest gets the status, the
        body's size and the timings. Cheapest for load that does not read the answer."""
        self._raw.response_content = ResponseContent.STATUS_ONLY
        return self

    def as_raw(self):
        """The WIT record this request becomes."""
        return self._raw

    def send(self) -> "Response":
        """Sends the request and waits for the whole response; raises HttpError on failure."""
        try:
            return _raw.send(self._raw)
        except Err as e:
            raise HttpError(e.value.class_, e.value.message) from None


def request(method: str, url: str) -> Request:
    """A request with any method. `url` is absolute, or a path starting with `/`."""
    return Request(method, url)


def get(url: str) -> Request:
    """A GET request."""
    return Request("GET", url)


def post(url: str, body) -> Request:
    """A POST request with a body."""
    return Request("POST", url).body(body)
