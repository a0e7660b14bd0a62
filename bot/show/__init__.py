"""The show runner: the show script drives the room — timed cues, exactly once across restarts."""
