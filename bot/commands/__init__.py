"""One module per `liveroom` subcommand; each has `register(subparsers)` setting `handler`."""
