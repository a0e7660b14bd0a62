"""`liveroom demo`: a living room with no camera and no keys — test-pattern host, simulated audience."""
