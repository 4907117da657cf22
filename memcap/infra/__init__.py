"""The infrastructure every layer above may use, knowing nothing of what is trained: files written atomically and
their sha256 (:mod:`~memcap.infra.files`), file locks, folder manifests, the run store, device names, progress
events, Dask clusters, and sweeps that train any run of the Run protocol (:mod:`~memcap.infra.protocol`). It imports
nothing else from memcap."""
