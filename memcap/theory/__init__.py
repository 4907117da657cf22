"""Information theory in bits: entropies and mutual information of distributions, Shannon's memorization of
exact toy problems, and code lengths of sequences under next-symbol models. numpy only; imports nothing else of
memcap."""
