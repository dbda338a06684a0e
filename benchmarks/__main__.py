from benchmarks.ingest import main

raise SystemExit(main())
