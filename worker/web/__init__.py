"""The subscription web app: subscribe (double opt-in), preferences, one-click unsubscribe."""
