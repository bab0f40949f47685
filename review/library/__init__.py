"""The claims library: approved wording to reuse, cited works (and their retraction), triage flags' pages."""
