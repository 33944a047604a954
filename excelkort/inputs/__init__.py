"""inputs: see the README's architecture section."""
