"""WebRTC media: WHIP ingest, WHEP playback, the forwarding relay, health, recording, restream."""
