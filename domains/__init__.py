"""Domain packages: RL data, verifier and eval suites per domain, behind one registry (domains.registry)."""
