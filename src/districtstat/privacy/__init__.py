"""Disclosure control: what may be published about students, across pages and releases, and the audit that checks it."""
