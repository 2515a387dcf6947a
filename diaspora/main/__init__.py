"""Pages that belong to no single feature: home, privacy notice, health, errors."""
