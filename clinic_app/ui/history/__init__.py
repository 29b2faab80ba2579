"""Trends over visits: charts with MDC bands, comparison of two visits, sparklines."""
