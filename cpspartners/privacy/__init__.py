"""Privacy of minors: the data inventory, the rights of families and students, incidents."""
