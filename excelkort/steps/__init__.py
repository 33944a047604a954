"""steps: see the README's architecture section."""
