"""The Data page: upload extracts (files, mapping, validation report, publish), manage datasets and mapping templates."""
