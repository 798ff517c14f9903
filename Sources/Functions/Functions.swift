// Functions module: see DESIGN.md.
