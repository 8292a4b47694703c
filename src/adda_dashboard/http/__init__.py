"""The HTTP entrypoint: the only package that imports the web framework."""
