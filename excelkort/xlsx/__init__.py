"""xlsx: see the README's architecture section."""
