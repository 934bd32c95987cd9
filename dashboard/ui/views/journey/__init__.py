"""The Journey page's sections: controls (controls), hotspots, journey map and heatmap (stages), service measures
(service), paths and variants (paths) and the drill-down (drill)."""
