"""Outbound webhooks: signed deliveries of scan and finding events, retried until they
succeed (see dispatcher.py), to targets that pass the repository fetching SSRF policy."""
