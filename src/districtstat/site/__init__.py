"""The reader's site: page generation, downloads, methods, what changed, briefs, rendering, versions and atomic publishing."""
