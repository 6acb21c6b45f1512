"""Editor for benefit delivery (C3): realisation plans with their activities inline."""
