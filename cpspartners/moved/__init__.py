"""Old addresses: every public page that moved in the re-cut of 2026-12 answers its old path with a
permanent redirect, so bookmarks, emails already sent and calendar subscriptions keep working."""
