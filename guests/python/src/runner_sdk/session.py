"""Multi-turn conversations (the Rust SDK's `llm::Session`): a `Session` holds one conversation's
history, so each turn sends everything said so far plus the new user message, and the answer
becomes history for the next turn."""

from wit_world.imports import types as _types

from .llm import Request, chat

SESSION_HEADER = "x-session-id"
"""The header that carries the session id (what routers use for session affinity)."""


class Session:
    """One conversation held by a VU; its history grows with each answered turn."""

    def __init__(self, session_id):
        self.id = str(session_id)
        self._header = SESSION_HEADER
        self._system = None
        self.history = []
        self.turns = 0

    def system(self, content: str) -> "Session":
        """The system message every turn opens with."""
        self._system = str(content)
        return self

    def header_name(self, name: str) -> "Session":
        """Sends the session id under another header name; "" sends none."""
        self._header = str(name)
        return self

    def ask(self, content) -> Request:
        """The request for the next turn: the history, then `content` (text, or a `Message`) as the
        user's message, the session header and the tag `turn` = the turn's number from 1. Send it
        with `session.send(req)`."""
        if isinstance(content, _types.Message):
            user = _types.Message("user", content.content, list(content.images))
        else:
            user = _types.Message("user", str(content), [])
        req = chat("")
        req._messages = [*self.history, user]
        if self._system is not None:
            req.system(self._system)
        if self._header:
            req.header(self._header, self.id)
        return req.tag("turn", self.turns + 1)

    def send(self, req: Request):
        """Sends a request made by `ask`; when answered, its user message and the answer's text join
        the history. A failed turn (it raises) leaves the history as it was but counts as a turn."""
        return self._send(req, None)

    def send_with_answer(self, req: Request, answer: str):
        """`send`, but the history keeps `answer` (a recorded answer) instead of the server's."""
        return self._send(req, str(answer))

    def _send(self, req: Request, answer):
        user = req._messages[-1] if req._messages else None
        self.turns += 1
        done = req.send()
        if user is not None:
            self.record(user, done.text if answer is None else answer)
        return done

    def record(self, user, answer: str) -> None:
        """Adds a turn to the history without sending it (a recorded answer, or context)."""
        if not isinstance(user, _types.Message):
            user = _types.Message("user", str(user), [])
        self.history.append(user)
        self.history.append(_types.Message("assistant", str(answer), []))
