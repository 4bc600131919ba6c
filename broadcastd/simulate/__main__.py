from broadcastd.simulate.cli import main

raise SystemExit(main())
