"""The HTTP wire: every exchange captured, keys redacted, and a body's shape."""
