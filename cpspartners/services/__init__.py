"""Operations that change state, each one transaction, shared by views and commands."""
