"""liveroom bot: the operator — rulebook, FAQ answerer, show runner, alerts, review, CLI."""
