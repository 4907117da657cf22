"""The engine: run specifications, the one training loop (one model or several stacked) and what every run
measures. Its code is versioned (:mod:`~memcap.engine.version`): the version is part of every stored run's key. The
run store and sweeps over local processes or any ``concurrent.futures`` executor are :mod:`memcap.infra`."""
