"""Search: plain questions, /search, result pages and inline results."""
