"""Tags: the key/value labels attached to phases, requests and metrics."""


def tag_list(tags) -> list:
    """A dict (or an iterable of pairs) to the list of string pairs the host takes."""
    items = tags.items() if hasattr(tags, "items") else tags
    return [(str(k), str(v)) for k, v in items]
