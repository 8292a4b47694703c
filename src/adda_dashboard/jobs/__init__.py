"""Background work: thin queue tasks and periodic schedules that call services (an entrypoint,
like ``http/``)."""
