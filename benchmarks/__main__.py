from benchmarks.ingest import main

# Guarded: the worker processes are spawned, and a spawned process imports the main module.
if __name__ == "__main__":
    raise SystemExit(main())
