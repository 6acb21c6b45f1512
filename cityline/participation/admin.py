"""Editor pages of the participation area (filled in below by the staff-side work)."""
