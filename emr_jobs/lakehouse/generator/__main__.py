from lakehouse.generator import main

raise SystemExit(main())
