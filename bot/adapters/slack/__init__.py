"""The Slack adapter: Block Kit builders (`blocks`), the Bolt app (`app`) with its `listeners`
grouped by surface, what they share (`context`), settings from the environment (`settings`), and
the two ways to run it, Socket Mode and HTTP (`server`)."""
