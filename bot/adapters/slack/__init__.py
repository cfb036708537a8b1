"""The Slack adapter: Block Kit builders (`blocks`), Bolt listeners (`app`), settings from the
environment (`settings`), and the two ways to run it, Socket Mode and HTTP (`server`)."""
