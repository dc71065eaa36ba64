"""Visit requests (/visits): a teacher finds a guest speaker or classroom partner and asks for a
visit; the partner accepts, proposes another date or declines; both confirm it happened.
"""
