"""`python -m churnwatch` is the `churnwatch` command."""

from churnwatch.cli import main

raise SystemExit(main())
