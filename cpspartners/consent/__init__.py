"""Consent before disclosure: families give and revoke consent; specialists record data agreements."""
