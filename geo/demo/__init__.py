"""The deterministic demo data: a chemical park at a real Chinese chemical-industry location, and the
province and nation scales the benchmarks need.

* ``hazmap load-demo [--scale park|province|nation] [--seed N] [--replace]`` (``geo.demo.loader.load``);
* ``shanghai`` — the park: Shanghai Chemical Industry Park, its companies, villages and resources;
* ``generated`` — generated parks and the order of a scale's parks;
* ``regions`` — the region hierarchy (real GB/T 2260 codes where real, schematic boundaries);
* ``park`` — turns a park's description into model objects; ``tanks`` — tank sizes, GB 50160 spacing
  and dikes; ``stock`` — how each substance is stored and detected; ``frame`` — the local metric frame;
* substances come from ``geo/data/substances.json`` (see ``geo/data/README.md``).

The same seed gives the same rows; nothing depends on the clock but ``graded_at``.
"""
