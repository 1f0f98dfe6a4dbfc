"""Access review: who reaches production (Tailscale, Teleport) as which login, and who should not."""
