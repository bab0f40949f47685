"""The home page: each person's open work, and the figures (`figures`) drawn as SVG (`charts`)."""
