"""A local stand-in for Ontraport's REST API v1.

Ontraport cannot be reached from development machines or CI, so the connector's end-to-end
tests, benchmarks and demo run against this server instead. It mirrors what
`docs/ontraport-api-notes.md` documents (auth, rate limit, envelope, plain-text errors, contacts,
tags, Deals, Companies and custom objects) and can inject the failures a real network and a busy
API produce. Standard library only, so that it starts in a fraction of a second and needs
nothing installed.
"""

__version__ = "0.1.0"
