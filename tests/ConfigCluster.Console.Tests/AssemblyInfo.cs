// One console cluster (three nodes and a browser) at a time: four of them at once on a 2-core CI
// machine starved the nodes into elections mid-test (CI simulation of 2026-12-07, 21:04: a 503 and
// an ambiguous write in AccessConsoleTests while the other classes' clusters ran).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
