"""Users, roles, diaspora profiles, consent and authentication."""
