// Routing module: see DESIGN.md.
