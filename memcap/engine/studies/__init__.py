"""Studies of stored runs for the chapters: is a run saturated in training time (:mod:`~.saturation`), training
runs until a doubling adds little (:mod:`~.doubling`), how many updates round to nothing (:mod:`~.rounding`), what a
knowledge model holds where (:mod:`~.ablation`)."""
