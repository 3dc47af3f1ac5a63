"""An authority's work list (what waits for it, by age)."""
