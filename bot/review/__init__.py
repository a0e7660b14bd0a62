"""Review (复盘): KPIs per show, segment and product computed from the event log, reports and comparisons."""
