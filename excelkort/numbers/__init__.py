"""numbers: see the README's architecture section."""
