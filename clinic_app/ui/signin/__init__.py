"""Who is working: signing in to a clinic server, the signed-in chip, the idle lock."""
