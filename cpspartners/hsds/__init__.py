"""The directory as an Open Referral HSDS 3.0 API (/api/hsds), and HSDS packages brought in for review."""
