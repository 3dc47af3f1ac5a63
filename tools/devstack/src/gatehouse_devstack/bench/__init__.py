"""The benchmark suite (`make bench`): sign-ins against the argon2 limit of one core, token
introspection over gRPC, operator search over a million operators, the event pipeline against
raw NATS, and the services' memory. See tools/devstack/BENCHMARKS.md."""
