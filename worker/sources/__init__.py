"""Source adapters: fetch (the only HTTP code) and parsers that turn bodies into Items."""
