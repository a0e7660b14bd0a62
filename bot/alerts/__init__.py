"""Team alerts and commands in the team's Telegram group: rules → outbox → sender; commands back."""
