"""Every error district-radar raises on purpose.

    RadarError
    ├── ConfigError            bad settings file, key or environment value (permanent)
    ├── SourceError            one source failed; the others carry on
    │   ├── FetchError
    │   │   ├── TransientFetchError   timeout, connection refused, HTTP 5xx / 429
    │   │   └── PermanentFetchError   HTTP 4xx, body over the size cap, redirect loop
    │   │       └── SourceGoneError      HTTP 404 / 410: the address no longer exists
    │   └── ParseError         the body is not a feed we can read
    ├── SubscriberError        one subscriber row is invalid (names the row)
    ├── BadToken               a link's token is tampered, expired or for another purpose
    └── MailError
        ├── TransientMailError        SMTP 4xx, connection lost: send again later
        │   └── MailServerUnreachable     cannot connect: the rest of the batch waits too
        ├── SenderRejected            the server refuses us (login, sender, relay): ops must
        │                             act; sending stops for the round, nothing is failed
        └── PermanentMailError        SMTP 5xx for this message: do not retry it
            ├── RecipientRejected         the server refused the recipient's address
            └── MessageRejected           the server refused this message's content

`Transient` marks what is worth retrying; tasks retry only those.
"""

from __future__ import annotations


class RadarError(Exception):
    """Root of every error district-radar raises on purpose."""


class Transient:
    """Mixin: the same operation may succeed later (timeouts, 5xx, SMTP 4xx)."""


class ConfigError(RadarError):
    """A settings file, key or environment variable is wrong."""


class SourceError(RadarError):
    """One source could not be polled."""

    def __init__(self, source_id: str, url: str, reason: str) -> None:
        # An error of a plain fetch (`Fetcher.fetch` knows URLs, not sources) has no id.
        super().__init__(f"source {source_id} ({url}): {reason}" if source_id
                         else f"{url}: {reason}")
        self.source_id = source_id
        self.url = url
        self.reason = reason

    def __reduce__(self) -> tuple[object, ...]:
        # Rebuilt from its fields (and any a subclass adds) when it crosses processes.
        return type(self), (self.source_id, self.url, self.reason), self.__dict__


class FetchError(SourceError):
    """The HTTP request for a source failed."""


class TransientFetchError(FetchError, Transient):
    """Timeout, connection error, HTTP 5xx or 429."""

    def __init__(
        self, source_id: str, url: str, reason: str, retry_after: float | None = None
    ) -> None:
        super().__init__(source_id, url, reason)
        self.retry_after = retry_after


class PermanentFetchError(FetchError):
    """HTTP 4xx, a body over the size cap, too many redirects."""


class SourceGoneError(PermanentFetchError):
    """HTTP 404 or 410: the site moved or removed the page; a person must fix the URL."""


class ParseError(SourceError):
    """The fetched body is not a readable feed."""


class SubscriberError(RadarError):
    """One subscriber record is invalid; `where` names the file row or line."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class BadToken(RadarError, ValueError):
    """Tampered, expired, or made for another purpose."""


class MailError(RadarError):
    """A message could not be sent."""


class TransientMailError(MailError, Transient):
    """SMTP 4xx or a dropped connection: send again later."""


class MailServerUnreachable(TransientMailError):
    """No SMTP session could be opened (refused, timed out): later messages would fail too."""


class PermanentMailError(MailError):
    """SMTP 5xx: record it, do not retry the message."""


class SenderRejected(MailError):
    """The server refuses to send for us: login refused, authentication required, our
    sender address or domain refused, relaying denied, our host blocklisted. It is the
    operator's to fix; no digest and no subscriber is to blame."""


class MessageRejected(PermanentMailError):
    """The server refused this message itself (at DATA), not the recipient nor us."""


class RecipientRejected(PermanentMailError):
    """The server refused the recipient address with a 5xx: it counts as a hard bounce."""


def is_transient(error: BaseException) -> bool:
    """True when retrying the failed operation later may succeed."""
    return isinstance(error, Transient)
