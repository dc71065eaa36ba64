"""Notifications (/notifications): what happened in a person's applications and visit requests,
read on the site and sent by email in the person's language.
"""
