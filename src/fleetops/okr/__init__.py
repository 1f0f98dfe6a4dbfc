"""The goals' key results measured from the records, and a lint for OKR documents."""
