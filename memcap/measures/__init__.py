"""What is measured on a model: code lengths and losses in bits (:mod:`~memcap.measures.evaluate`, the one place
where nats become bits), memorized bits and capacity fits, knowledge bounds, membership attacks and extraction,
quantization, and the chapters' claims against baselines."""
