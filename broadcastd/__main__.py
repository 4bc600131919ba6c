from broadcastd.cli import main

raise SystemExit(main())
