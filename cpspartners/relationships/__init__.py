"""The specialist's relationships: contacts with partners and prospects, follow-ups, the outreach pipeline."""
