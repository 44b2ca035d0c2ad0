"""`python -m nn ...` runs the `glassgrad` command."""

from nn.cli import main

raise SystemExit(main())
