from jiesu.cli import main

raise SystemExit(main())
