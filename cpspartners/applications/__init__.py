"""Applications (/applications): a student applies or shows interest, follows the application and
messages the partner; partner staff answer the applications they received.
"""
