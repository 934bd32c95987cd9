"""The journey map: stage lanes, touchpoint cells, paths, service levels and contacts."""
