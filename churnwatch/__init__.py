"""churnwatch: the command line and the processes it runs (worker, demo, simulator)."""
