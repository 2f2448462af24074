"""The only place streamlit is imported in core: cached loaders, shared widgets and session-state keys."""
