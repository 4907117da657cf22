"""The engine: run specifications, the one training loop (one model or several stacked), what every run measures,
the run store, and sweeps over local processes or any ``concurrent.futures`` executor. Its code is versioned
(:mod:`~memcap.engine.version`): the version is part of every stored run's key."""
