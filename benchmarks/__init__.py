"""`make bench`: throughput and latency beside raw NATS figures from the same run."""
