"""Seat pools (/pools): free internet and learning licences a provider gives; specialists allocate
seats to distributors (schools, libraries), who assign them to families.
"""
