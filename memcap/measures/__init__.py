"""What is measured on a model: code lengths and losses in bits (:mod:`~memcap.measures.evaluate`, the one place
where nats become bits), memorized bits and capacity fits, knowledge bounds and their measurement, membership attacks
and extraction, quantization, peaks (the one peak finder) and width trends, double descent, a run's bits extrapolated
to longer training (:mod:`~memcap.measures.extrapolation`), real text's analyses, and the chapters' claims against
baselines (:mod:`~memcap.measures.baselines`)."""
