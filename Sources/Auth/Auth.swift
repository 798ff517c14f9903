// Auth module: see DESIGN.md.
