"""`veracity scan`: many files in, one durable record per file out, resumable, on a local or Ray engine."""
