"""What pdxtui remembers between runs about the datasets people come back to: recents, bookmarks, and fingerprints
that say what changed since the last look (:mod:`.store`, :mod:`.fingerprint`). Plain Python: the CLI and the app
both use it."""
