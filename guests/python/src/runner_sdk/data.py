"""Datasets handed to the run with `runner play --data name=path`, held by the host and read by
index. To send a row without copying it through the guest, use `llm.chat_from_dataset`."""

from wit_world.imports import data as _raw

from ._wit import call

Row = _raw.Row
Conversation = _raw.Conversation
Turn = _raw.Turn


def len(name: str) -> int:  # noqa: A001 (mirrors the WIT and the Rust SDK)
    """How many rows dataset `name` has; raises RunnerError naming the datasets the run was given."""
    return call(_raw.len, name)


def get(name: str, index: int) -> "Row":
    """Row `index` (modulo the dataset's length) of dataset `name`."""
    return call(_raw.get, name, index)


def conversation(name: str, index: int) -> "Conversation":
    """The whole conversation of row `index` of dataset `name`, turn by turn (`system`, `turns`:
    each `user` message, recorded `answer` and `answer_tokens`), for multi-turn replay."""
    return call(_raw.get_conversation, name, index)


def arrival_offsets(name: str) -> list:
    """When each row of a trace dataset (Mooncake JSONL, Azure or BurstGPT CSV) was sent, in
    milliseconds after its first row: the schedule of `Phase.scheduled`."""
    return call(_raw.arrival_offsets, name)
