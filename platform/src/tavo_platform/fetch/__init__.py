"""Getting code to scan: git clones (SSRF-checked) and uploaded archives (bomb-checked)."""


class FetchError(Exception):
    """The source could not be fetched; the message is safe to show to the API caller."""
