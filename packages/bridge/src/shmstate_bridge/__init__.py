"""shmstate-bridge: mirror shmstate stores between hosts through NATS JetStream KV
(docs/bridge.md). ``publish`` puts a local store's versions into a KV bucket; ``follow``
commits them into a local mirror store that keeps the leader's versions."""

__version__ = "0.1.0"
