"""Discussing a claim's words: comment threads on spans of a version, and signed suggested wording.

- `anchoring`: where a span's words stand in the next version (pure).
- `actions`: commenting, suggesting, accepting; `carry`: what follows a new version.
- `api`, `views`, `urls`: the JSON API and the page forms.
"""
