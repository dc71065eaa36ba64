"""Partner self-service (/partner): partner staff keep their organisation's profile and listings
current; every change becomes a change request a specialist reviews."""
