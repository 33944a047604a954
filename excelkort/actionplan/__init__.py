"""actionplan: see the README's architecture section."""
