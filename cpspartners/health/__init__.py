"""cpspartners.health: liveness and readiness for a load balancer, and request ids in the logs."""
