"""scorecard: see the README's architecture section."""
