"""A Redis primary, a replica and three Sentinels on free loopback ports, for the failover tests."""

import subprocess
from pathlib import Path

import redis
from harness import RedisServer, free_port, wait_for

from batchsvc.cli import redis_server as redisproc

SERVICE = "batchsvc"
DOWN_AFTER_MS = 1000  # a primary silent this long is subjectively down (odown once two Sentinels agree)
FAILOVER_TIMEOUT_MS = 3000  # also: a Sentinel starts no second failover of the service within twice this
QUORUM = 2
SHUTDOWN_WAIT_S = 30


class Node(RedisServer):
    """One redis-server of the pair (AOF on) that a test may kill and start again, as a primary or a replica."""

    def start(self, as_replica_of: int | None = None) -> None:
        """Start it on its own AOF; as a primary (the Sentinels turn a former primary round) or as a replica."""
        extra = ["--replicaof", "127.0.0.1", str(as_replica_of)] if as_replica_of else []
        self.proc = redisproc.start(self.port, self.dir, appendonly=True, extra=extra)

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, decode_responses=True, socket_connect_timeout=1)

    def stop(self) -> None:
        """SIGTERM until it exits: Redis refuses one while it writes its initial AOF ("can't exit"), and a primary
        waits up to its shutdown-timeout (10 s) for lagging replicas."""
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return

        def stopped() -> bool:
            proc.terminate()
            try:
                return proc.wait(timeout=1) is not None
            except subprocess.TimeoutExpired:
                return False
        wait_for(stopped, SHUTDOWN_WAIT_S, 0, f"redis-server on port {self.port} to stop")


class SentinelCluster:
    """Primary, replica and three Sentinels watching them (down-after 1 s, quorum 2)."""

    def __init__(self, directory: Path):
        self.primary = Node(directory / "primary")
        self.replica = Node(directory / "replica")
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.dir, self.sentinels = directory, []

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def start(self) -> None:
        self.primary.start()
        self.replica.start(as_replica_of=self.primary.port)
        wait_for(lambda: self.replicas_of(self.primary) >= 1, 20, 0.05, "the replica to sync")
        self.sentinels = [self._sentinel(i, port) for i, port in enumerate(self.sentinel_ports)]
        wait_for(lambda: all(self._sees_each_other(p) for p in self.sentinel_ports), 30, 0.1,
                 "the Sentinels to find each other and the replica")

    def _sentinel(self, index: int, port: int) -> subprocess.Popen:
        folder = self.dir / f"sentinel-{index}"
        folder.mkdir(parents=True, exist_ok=True)
        conf = folder / "sentinel.conf"  # a Sentinel rewrites its file: each has its own
        conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {folder}\nlogfile {folder / 'sentinel.log'}\n"
                        f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary.port} {QUORUM}\n"
                        f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
                        f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n")
        return subprocess.Popen([redisproc.redis_binary(), str(conf), "--sentinel"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)

    def _sees_each_other(self, port: int) -> bool:
        try:
            state = redis.Redis(port=port, decode_responses=True).sentinel_master(SERVICE)
        except redis.RedisError:
            return False
        return state["num-other-sentinels"] >= 2 and state["num-slaves"] >= 1

    def primary_port(self) -> int | None:
        """The primary's port as the Sentinels name it now (None while none answers)."""
        try:
            return int(redis.Redis(port=self.sentinel_ports[0]).sentinel_get_master_addr_by_name(SERVICE)[1])
        except (redis.RedisError, TypeError):
            return None

    def roles(self) -> tuple[Node, Node]:
        """(the node the Sentinels name primary now, the other one)."""
        port = self.primary_port()
        return (self.primary, self.replica) if port == self.primary.port else (self.replica, self.primary)

    def replicas_of(self, node: Node) -> int:
        """Replicas in sync with the node (state online: they acknowledge writes, so WAIT counts them)."""
        try:
            info = node.client().info("replication")
        except redis.RedisError:
            return 0
        return sum(1 for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)
                   and v.get("state") == "online")

    def stop(self) -> None:
        for proc in self.sentinels:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
        self.replica.stop()
        self.primary.stop()
