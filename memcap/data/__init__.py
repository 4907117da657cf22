"""What models are trained on, generated from seeds (nothing is downloaded): uniform random sequences (with the
bits they hold), Markov sources, bioD and bioS biographies (bioS's word lists are the text files in ``bios/``)."""
