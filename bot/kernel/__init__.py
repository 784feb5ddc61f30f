"""The kernel: what every feature shares (clock, language, dates, replies, cards, routing)."""
